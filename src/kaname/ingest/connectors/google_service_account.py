"""Google service-account keys: the key file checked when a source is connected, and access
tokens obtained with it by the JWT-bearer grant (RFC 7523).

The assertion is signed RS256 by PyJWT with the key's RSA private key (cryptography) and posted
to the key's own `token_uri` through the shared `post_token`, so token refusals read like the other
OAuth sources' (decisions.md). The key's private part is registered for log redaction in every
form it can take in a log line (PEM text, JSON-escaped, single lines).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import AfterValidator, BeforeValidator, SecretStr
from pydantic_core import PydanticCustomError

from kaname.ingest.connectors.auth import OAuthToken, TokenError, post_token
from kaname.ingest.connectors.secrets import register_secret

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GA4_SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
ADS_SCOPE = "https://www.googleapis.com/auth/adwords"
ASSERTION_SECONDS = 3600
"""Lifetime of a signed assertion; Google refuses longer ones."""
RENEW_EARLY = 60.0
"""Seconds before an access token expires when a new one is obtained before the next request."""
REQUIRED = ("client_email", "private_key", "private_key_id", "token_uri")
MAX_KEY_FILE = 64 * 1024
"""A key file is about 2.3 KB; anything far larger is the wrong file."""
FIX = (
    "download a new JSON key in Google Cloud console (IAM & Admin → Service accounts → the "
    "account → Keys → Add key → Create new key → JSON) and give its path "
    "(--set service_account_json=@key.json) or its contents"
)


class ServiceAccountKeyError(ValueError):
    """A service-account key cannot be used; the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class ServiceAccountKey:
    """The parts of a key file the JWT-bearer grant needs."""

    client_email: str
    """The service account's e-mail: the assertion's issuer, and the user to grant access to."""
    private_key_id: str
    """Id of the key (the assertion header's `kid`)."""
    token_uri: str
    """Token endpoint the key file names (the assertion's audience)."""
    project_id: str
    signing_key: RSAPrivateKey = field(repr=False)


def read_key_setting(value: Any) -> Any:
    """The key file's contents from a `service_account_json` setting that holds them or names
    the file (`@path`, or a plain path to an existing file; `~` is expanded). Other values are
    left for `parse_key` to judge."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return None
    if text.startswith("{"):
        return value
    named = text.startswith("@")
    candidate = text[1:].strip() if named else text
    if "\n" in candidate or len(candidate) > 4096:
        return value  # not a path; parse_key says it is not JSON without echoing it
    path = Path(candidate).expanduser()
    try:
        is_file = path.is_file()
    except OSError:  # e.g. a name too long to be a path
        is_file = False
    if not is_file:
        if named or candidate.lower().endswith(".json"):
            raise ServiceAccountKeyError(f"no key file at {path}; {FIX}")
        return value
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise ServiceAccountKeyError(f"{path} is too large to be a service-account key; {FIX}")
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ServiceAccountKeyError(f"cannot read the key file {path} ({reason}); {FIX}") from None


def check_key_setting(value: SecretStr | None) -> SecretStr | None:
    """Validate a `service_account_json` setting when the source is connected (and loaded)."""
    if value is not None:
        try:
            parse_key(value.get_secret_value())
        except ServiceAccountKeyError as exc:
            reason = {"reason": str(exc)}
            raise PydanticCustomError("service_account_key", "{reason}", reason) from None
    return value


def _read(value: Any) -> Any:
    try:
        return read_key_setting(value)
    except ServiceAccountKeyError as exc:
        reason = {"reason": str(exc)}
        raise PydanticCustomError("service_account_key", "{reason}", reason) from None


ServiceAccountJson = Annotated[
    SecretStr | None, BeforeValidator(_read), AfterValidator(check_key_setting)
]
"""A settings field holding a service-account key file's contents (given as them or a path)."""


def parse_key(text: str) -> ServiceAccountKey:
    """Check a key file's contents and load its RSA key; ServiceAccountKeyError says what is
    wrong. Never quotes the key in a message."""
    if text.lstrip().startswith("-----BEGIN"):
        register_private_key(text)
        raise ServiceAccountKeyError(
            "a bare PEM key, not the JSON key file (which also names the account and the "
            "token endpoint); " + FIX
        )
    try:
        info = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ServiceAccountKeyError(
            f"not a key file's JSON ({exc.msg} at line {exc.lineno} column {exc.colno}), nor "
            "the path of a key file; " + FIX
        ) from None
    if not isinstance(info, dict):
        raise ServiceAccountKeyError(f"the key is JSON but not a key file (not an object); {FIX}")
    pem = info.get("private_key")
    if isinstance(pem, str):
        register_private_key(pem)
    kind = info.get("type")
    if kind != "service_account":
        raise ServiceAccountKeyError(_wrong_type(info, kind))
    missing = [name for name in REQUIRED if not isinstance(info.get(name), str) or not info[name]]
    if missing:
        raise ServiceAccountKeyError(
            f"the key file lacks {', '.join(missing)} (cut short or edited?); {FIX}"
        )
    email = str(info["client_email"]).strip()
    if "@" not in email:
        raise ServiceAccountKeyError(f"client_email {email!r} is not an e-mail address; {FIX}")
    token_uri = _check_token_uri(str(info["token_uri"]).strip())
    pem = str(info["private_key"])
    try:
        key = load_pem_private_key(pem.encode("utf-8"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ServiceAccountKeyError(
            "the key file's private_key is not a readable PEM private key (cut short, or its "
            "\\n line breaks lost when copied?); " + FIX
        ) from None
    if not isinstance(key, RSAPrivateKey):
        raise ServiceAccountKeyError(
            f"the key file's private_key is not an RSA key (Google service-account keys are); {FIX}"
        )
    return ServiceAccountKey(
        client_email=email,
        private_key_id=str(info["private_key_id"]).strip(),
        token_uri=token_uri,
        project_id=str(info.get("project_id") or ""),
        signing_key=key,
    )


def _wrong_type(info: dict[str, Any], kind: Any) -> str:
    if kind == "authorized_user":
        return (
            'the file is a user credential (type "authorized_user", from `gcloud auth '
            "application-default login`), not a service-account key: set client_id, "
            "client_secret and refresh_token from it instead, or " + FIX
        )
    if "installed" in info or "web" in info:
        return (
            "the file is an OAuth client (client_secret_….json), not a service-account key: "
            "use its client_id and client_secret with a refresh token, or " + FIX
        )
    if kind is None:
        return f'the JSON has no "type": it is not a service-account key file; {FIX}'
    return f'the key file\'s type is "{kind}", not "service_account"; {FIX}'


def _check_token_uri(uri: str) -> str:
    """The assertion is a credential: send it over HTTPS (plain HTTP only to this machine)."""
    parts = urlsplit(uri)
    loopback = parts.hostname == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(parts.hostname or "").is_loopback
    if parts.scheme == "https" and parts.hostname:
        return uri
    if parts.scheme == "http" and loopback:
        return uri
    raise ServiceAccountKeyError(
        f"the key file's token_uri {uri!r} is not an https URL (Google's is "
        f"https://oauth2.googleapis.com/token); {FIX}"
    )


def register_private_key(pem: str) -> None:
    """Redact the private key from logs as PEM text, as written inside JSON (\\n escaped) and
    line by line (a log line may hold part of it)."""
    register_secret(pem)
    register_secret(pem.strip())
    register_secret(json.dumps(pem)[1:-1])
    for line in pem.splitlines():
        line = line.strip()
        if len(line) >= 16 and not line.startswith("-----"):
            register_secret(line)


def assertion(
    key: ServiceAccountKey, scope: str, subject: str = "", now: float | None = None
) -> str:
    """A signed JWT asking `key.token_uri` for an access token with `scope` (RFC 7523 § 2.1);
    `subject` is the user to act as under domain-wide delegation."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": key.client_email,
        "scope": scope,
        "aud": key.token_uri,
        "iat": issued,
        "exp": issued + ASSERTION_SECONDS,
    }
    if subject:
        claims["sub"] = subject
    return jwt.encode(
        claims, key.signing_key, algorithm="RS256", headers={"kid": key.private_key_id}
    )


def service_account_auth(
    key_json: str,
    scope: str,
    subject: str = "",
    extra_headers: dict[str, str] | None = None,
) -> OAuthToken:
    """Access tokens for a service-account key: obtained before the first request, again shortly
    before they expire, and once more after a 401."""
    key = parse_key(key_json)

    def grant(client: httpx.Client) -> dict[str, Any]:
        data = {"grant_type": JWT_BEARER, "assertion": assertion(key, scope, subject)}
        try:
            return post_token(client, key.token_uri, data)
        except TokenError as exc:
            raise TokenError(
                f"service account {key.client_email} (key {key.private_key_id[:8]}…): {exc}. "
                "If the key was deleted or disabled, or the account lacks access, "
                + FIX
                + " and run `kaname connect` again"
            ) from None
        except httpx.TransportError as exc:
            raise TokenError(f"cannot reach the token endpoint {key.token_uri}: {exc}") from None

    return OAuthToken(grant, extra_headers=extra_headers, renew_early=RENEW_EARLY)
