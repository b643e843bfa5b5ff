"""The DVC pipeline's stages (split, train, evaluate, profile), the metrics, the quality gate,
and running the pipeline against the DVC remote."""
