"""The data engines beside pyarrow (params.yaml's engine): DuckDB and Spark."""
