"""Production use of a released model: batch scoring of files, through the registry's tags."""
