"""The model's pipeline stages, data contract and GitOps commands."""

__version__ = "0.1.0"
