"""The operations report: DORA-style figures of the model's life from git and GitHub."""
