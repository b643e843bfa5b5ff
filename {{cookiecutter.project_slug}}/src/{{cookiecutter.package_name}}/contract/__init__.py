"""The data contract (schema.yaml): reading it, inferring it from a CSV, enforcing it."""
