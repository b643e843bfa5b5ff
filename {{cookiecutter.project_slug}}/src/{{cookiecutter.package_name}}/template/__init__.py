"""The template this project was generated from: take its updates, change an answer.

cruft (https://cruft.github.io/cruft/) holds the record in `.cruft.json` and merges the
template's changes; this package wraps it with the project's rules (a clean tree, conflicts
listed, never committed as markers) and opens the one pull request that carries them.
"""
