"""Releases and the model registry (GTO tags in git): versions, stages, bundles, model cards."""
