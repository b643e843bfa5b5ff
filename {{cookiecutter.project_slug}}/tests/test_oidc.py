"""OIDC federation against a local stand-in for GitHub's token endpoint."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from {{ cookiecutter.package_name }}.edge import dvc as remote
from {{ cookiecutter.package_name }}.edge import oidc
from {{ cookiecutter.package_name }}.errors import ProjectError

REQUEST_TOKEN = "runtime-request-token"


class TokenEndpoint(BaseHTTPRequestHandler):
    """Answers like GitHub: {"value": <jwt>} for a bearer request token; 401 otherwise."""

    requests: ClassVar[list] = []

    def do_GET(self):
        audience = parse_qs(urlparse(self.path).query).get("audience", [""])[0]
        self.requests.append(audience)
        if self.headers.get("Authorization") != f"bearer {REQUEST_TOKEN}":
            self.send_response(401)
            self.end_headers()
            return
        body = json.dumps({"value": f"jwt-for:{audience}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def github(tmp_path):
    """An environment as GitHub gives a job granted `id-token: write`."""
    TokenEndpoint.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), TokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield {
        oidc.REQUEST_URL: f"http://127.0.0.1:{server.server_port}/token?api-version=2.0",
        oidc.REQUEST_TOKEN: REQUEST_TOKEN,
    }
    server.shutdown()


def private_text(path):
    path = Path(path)
    assert path.stat().st_mode & 0o777 == 0o600
    return path.read_text()


def test_an_aws_role_gets_a_web_identity_token_file(github, tmp_path):
    env = {**github, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/dvc"}

    assert oidc.federate(env, tmp_path) == ["s3"]

    assert private_text(env["AWS_WEB_IDENTITY_TOKEN_FILE"]) == "jwt-for:sts.amazonaws.com"
    assert env["AWS_ROLE_SESSION_NAME"] == "github-actions-dvc"
    assert TokenEndpoint.requests == ["sts.amazonaws.com"]


def test_an_azure_app_gets_a_federated_token_file(github, tmp_path):
    env = {**github, "AZURE_CLIENT_ID": "app", "AZURE_TENANT_ID": "tenant"}

    assert oidc.federate(env, tmp_path) == ["azure"]

    assert private_text(env["AZURE_FEDERATED_TOKEN_FILE"]) == "jwt-for:api://AzureADTokenExchange"


def test_a_gcp_provider_gets_an_external_account_key(github, tmp_path):
    provider = "projects/42/locations/global/workloadIdentityPools/github/providers/repo"
    env = {**github, "GCP_WORKLOAD_IDENTITY_PROVIDER": provider, "GCP_SERVICE_ACCOUNT": "dvc@p.iam"}

    assert oidc.federate(env, tmp_path) == ["gs"]

    key = json.loads(private_text(env["GOOGLE_APPLICATION_CREDENTIALS"]))
    assert key["type"] == "external_account"
    assert key["audience"] == f"//iam.googleapis.com/{provider}"
    assert key["service_account_impersonation_url"].endswith("dvc@p.iam:generateAccessToken")
    token_file = key["credential_source"]["file"]
    assert private_text(token_file) == f"jwt-for://iam.googleapis.com/{provider}"


def test_static_secrets_win_and_nothing_is_requested(github, tmp_path):
    env = {
        **github,
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/dvc",
        "AWS_ACCESS_KEY_ID": "key",
        "AZURE_CLIENT_ID": "app",
        "AZURE_TENANT_ID": "tenant",
        "AZURE_STORAGE_CONNECTION_STRING": "conn",
    }
    before = dict(env)

    assert oidc.federate(env, tmp_path) == []
    assert env == before
    assert TokenEndpoint.requests == []


def test_without_github_token_nothing_changes(tmp_path):
    # A fork's pull request, or a laptop: no id-token request variables.
    env = {"AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/dvc"}

    assert oidc.federate(env, tmp_path) == []
    assert env == {"AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/dvc"}


def test_a_refused_token_request_names_the_permission(github, tmp_path):
    env = {**github, oidc.REQUEST_TOKEN: "wrong", "AWS_ROLE_ARN": "arn:aws:iam::1:role/dvc"}

    with pytest.raises(ProjectError, match="id-token: write"):
        oidc.federate(env, tmp_path)
    assert "AWS_WEB_IDENTITY_TOKEN_FILE" not in env


def test_credentials_env_federates_after_text_secrets(github, tmp_path, capsys):
    environ = {**github, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/dvc"}

    env = remote.credentials_env(environ, tmp_path)

    assert private_text(env["AWS_WEB_IDENTITY_TOKEN_FILE"]) == "jwt-for:sts.amazonaws.com"
    assert "GitHub OIDC federation (s3)" in capsys.readouterr().out
    assert "AWS_WEB_IDENTITY_TOKEN_FILE" not in environ
