"""GitHub in a box: run a repository's workflows under act on this machine, against a local
bare origin, with local stand-ins for third-party actions and recording `cml`/`gh`."""
