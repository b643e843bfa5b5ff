"""The data engines against a real object store: the generated project's drift check reads the
day's Parquet batch from S3 (moto on 127.0.0.1, reached by the AWS SDK's AWS_ENDPOINT_URL, as
a runner reaches MinIO) through DuckDB, and writes the drift.json pyarrow's reader writes."""

import json
import sys

import yaml
from conftest import project_env, run

PACKAGE = "customer_churn"
DAY = "2030-01-01"


def check(project, engine, source, endpoint):
    """drift.json of `drift check` on `source` with `engine` named in params.yaml."""
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["engine"] = engine
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    output = project / "reports" / engine
    command = [sys.executable, "-m", PACKAGE, "drift", "check", "--current", source]
    command += ["--date", DAY, "--output-dir", str(output)]
    env = dict(project_env(project), AWS_ENDPOINT_URL=endpoint)
    result = run(command, project, check=False, env=env)
    assert result.returncode in (0, 1), result.stdout + result.stderr  # no drift, or drift
    return json.loads((output / "drift.json").read_text())


def test_duckdb_reads_the_batch_from_s3_as_pyarrow_does(
    reproduced, moto_s3, s3_bucket, project_copy, tmp_path
):
    project = project_copy(reproduced())
    batch = tmp_path / f"{DAY}.parquet"
    simulate = [sys.executable, "-m", PACKAGE, "drift", "simulate", "--date", DAY]
    run([*simulate, "--output", str(batch)], project, env=project_env(project))
    key = f"current/{DAY}.parquet"
    moto_s3.client.put_object(Bucket=s3_bucket, Key=key, Body=batch.read_bytes())
    source = f"s3://{s3_bucket}/current/{{date}}.parquet"
    expected = check(project, "pyarrow", source, moto_s3.endpoint_url)
    found = check(project, "duckdb", source, moto_s3.endpoint_url)
    assert expected["files"] == [f"s3://{s3_bucket}/{key}"]
    assert expected["result"]["current_rows"] > 0
    assert found == expected
