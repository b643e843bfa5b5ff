"""The one place the project talks to outside tools: git, DVC, GitHub (gh, cml, the Actions
environment) and GitHub's OIDC token. Nothing else in the package starts a process."""
