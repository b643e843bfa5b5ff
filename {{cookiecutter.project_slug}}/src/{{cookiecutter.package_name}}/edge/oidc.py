"""Keyless access to the DVC remote from GitHub Actions: OpenID Connect federation.

A job granted `id-token: write` can ask GitHub for a short-lived signed token. Each cloud trades
it for its own credentials when the repository names an identity to assume (repository
*variables*, not secrets, since none of them is secret):

    s3     AWS_ROLE_ARN                                  -> AWS_WEB_IDENTITY_TOKEN_FILE
    azure  AZURE_CLIENT_ID, AZURE_TENANT_ID              -> AZURE_FEDERATED_TOKEN_FILE
    gs     GCP_WORKLOAD_IDENTITY_PROVIDER, GCP_SERVICE_ACCOUNT -> an external_account key file

The cloud SDKs DVC uses (botocore, azure-identity, google-auth) read those variables and files
themselves, so all this module does is fetch the token and write the files. Static secrets win
when both are set, and without GitHub's token (a fork's pull request, a laptop) nothing changes.
"""

import json
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import ProjectError

REQUEST_URL = "ACTIONS_ID_TOKEN_REQUEST_URL"
REQUEST_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
AWS_AUDIENCE = "sts.amazonaws.com"
AZURE_AUDIENCE = "api://AzureADTokenExchange"
GCP_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
# urllib.request.urlopen, or a stand-in with its signature (tests).
UrlOpen = Callable[..., Any]


def github_token(env: Mapping[str, str], audience: str, urlopen: UrlOpen | None = None) -> str:
    """GitHub's signed OIDC token for `audience` (needs `permissions: id-token: write`)."""
    separator = "&" if "?" in env[REQUEST_URL] else "?"
    url = f"{env[REQUEST_URL]}{separator}audience={urllib.parse.quote(audience, safe='')}"
    request = urllib.request.Request(url, headers={"Authorization": f"bearer {env[REQUEST_TOKEN]}"})
    try:
        with (urlopen or urllib.request.urlopen)(request, timeout=30) as response:
            return json.loads(response.read())["value"]
    except (OSError, ValueError, KeyError) as error:
        raise ProjectError(
            f"GitHub's OIDC token could not be fetched ({error})",
            "grant the job `id-token: write`, or remove the OIDC repository variables and "
            "use the remote's secrets instead",
        ) from None


def _write_private(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return str(path)


def _gcp_external_account(provider: str, service_account: str, token_file: str) -> dict[str, Any]:
    """google-auth's workload identity federation config: trade the token file's JWT."""
    return {
        "type": "external_account",
        "audience": f"//iam.googleapis.com/{provider}",
        "subject_token_type": GCP_TOKEN_TYPE,
        "token_url": "https://sts.googleapis.com/v1/token",
        "service_account_impersonation_url": (
            "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
            f"{service_account}:generateAccessToken"
        ),
        "credential_source": {"file": token_file},
    }


def federate(env: dict[str, str], folder: str | Path, urlopen: UrlOpen | None = None) -> list[str]:
    """Add OIDC credentials to `env` (a dict, changed in place) where an identity is named.

    Returns the names of the clouds federated, e.g. ["s3"]; [] when nothing applied.
    """
    if not (env.get(REQUEST_URL) and env.get(REQUEST_TOKEN)):
        return []
    folder = Path(folder)
    federated: list[str] = []
    if env.get("AWS_ROLE_ARN") and not env.get("AWS_ACCESS_KEY_ID"):
        token = github_token(env, AWS_AUDIENCE, urlopen)
        env["AWS_WEB_IDENTITY_TOKEN_FILE"] = _write_private(folder / "aws-oidc-token", token)
        env.setdefault("AWS_ROLE_SESSION_NAME", "github-actions-dvc")
        federated.append("s3")
    if (
        env.get("AZURE_CLIENT_ID")
        and env.get("AZURE_TENANT_ID")
        and not env.get("AZURE_STORAGE_CONNECTION_STRING")
    ):
        token = github_token(env, AZURE_AUDIENCE, urlopen)
        env["AZURE_FEDERATED_TOKEN_FILE"] = _write_private(folder / "azure-oidc-token", token)
        federated.append("azure")
    provider, account = env.get("GCP_WORKLOAD_IDENTITY_PROVIDER"), env.get("GCP_SERVICE_ACCOUNT")
    if provider and account and not env.get("GOOGLE_APPLICATION_CREDENTIALS"):
        token = github_token(env, f"//iam.googleapis.com/{provider}", urlopen)
        token_file = _write_private(folder / "gcp-oidc-token", token)
        config = _gcp_external_account(provider, account, token_file)
        env["GOOGLE_APPLICATION_CREDENTIALS"] = _write_private(
            folder / "gcp-external-account.json", json.dumps(config, indent=2)
        )
        federated.append("gs")
    return federated
