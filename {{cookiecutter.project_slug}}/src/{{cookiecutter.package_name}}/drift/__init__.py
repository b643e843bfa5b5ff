"""Drift checks: current data against the production model's reference profile, reports,
the GitHub issue, and retraining on drift."""
