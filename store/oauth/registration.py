"""Dynamic client registration (RFC 7591) as an endpoint class: metadata in, a client out.

The HTTP layer hands over the raw body, its media type and the
``Authorization`` header; this decides what the metadata means (§2), which
error a wrong one is (§3.2.2), and what the answer says (§3.2.1). Registered
clients pass exactly the checks an admin's clients pass (``Clients.validated``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlsplit

from authclients.store import validation
from authclients.store.errors import RateLimited, ValidationError
from authclients.store.grant_types import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_DEVICE_CODE,
)
from authclients.store.oauth.context import ServerContext
from authclients.store.oauth.errors import (
    InvalidClientMetadata,
    InvalidRedirectUri,
    InvalidToken,
    NotFoundError,
    PayloadTooLarge,
    RegistrationRefused,
    SlowDown,
)
from authclients.store.oauth.requests import AUTH_METHODS
from authclients.store.registration import (
    METADATA_MAX,
    MODE_OFF,
    MODE_TOKEN,
    Registration,
)

REDIRECT_URIS_MAX = 20
"""More redirect URIs than this is not an application but an attempt to fill the table."""
TEXT_MAX = 255
GRANT_REFRESH = "refresh_token"
GRANTS_ALLOWED = (
    GRANT_AUTHORIZATION_CODE,
    GRANT_REFRESH,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_DEVICE_CODE,
)
"""What a client may register for: never the password grant (RFC 9700 §2.4), never
personal access tokens (an admin's decision)."""
DEFAULT_NAME = "Unnamed registered client"


class RegistrationEndpoint:
    """RFC 7591 §3: ``POST /oauth/register``."""

    def __init__(self, server: ServerContext) -> None:
        self.server = server
        self.store = server.store

    def enabled(self) -> bool:
        return self.store.registrations.mode() != MODE_OFF

    def register(
        self,
        *,
        content_type: str,
        body: bytes,
        authorization: list[str],
        source: str,
    ) -> dict[str, object]:
        """Register the client the body describes; the RFC 7591 §3.2.1 answer."""
        registrations = self.store.registrations
        mode = registrations.mode()
        if mode == MODE_OFF:
            # Not advertised, not there: the same 404 as any unknown path (RFC 8414 §2).
            raise NotFoundError("Client registration is switched off on this server.")
        token = _bearer(authorization) if mode == MODE_TOKEN else None
        if mode == MODE_TOKEN and not registrations.token_usable(token or ""):
            raise InvalidToken("The initial access token is unknown, expired, revoked or used up.")
        try:
            registrations.check_rate(source)
        except RateLimited as exc:
            raise SlowDown(str(exc), retry_after=exc.retry_after) from None
        metadata = _parse(content_type, body)
        fields, answer, origin = self._validate(metadata, body)
        public = answer["token_endpoint_auth_method"] == "none"
        try:
            with self.store.atomic():
                # Spent in the same transaction as the client is stored: a refusal
                # (the cap) leaves the use unspent, and two racers cannot share it.
                if token is not None and not registrations.use_token(token):
                    raise InvalidToken("The initial access token was used up meanwhile.")
                client_id, secret, disabled = registrations.create_client(
                    fields, origin, public=public
                )
        except ValidationError as exc:
            raise RegistrationRefused(str(exc.errors.get("cap", exc))) from None
        issued = self.store.clients.get(client_id).created_at
        out: dict[str, object] = {"client_id": str(client_id)}
        out["client_id_issued_at"] = int(issued.timestamp())
        if secret is not None:
            out["client_secret"] = secret
            out["client_secret_expires_at"] = 0  # RFC 7591 §3.2.1: never expires
        out.update(answer)
        if disabled:
            out["authclients_disabled"] = True
        return out

    def _validate(
        self, metadata: dict[str, object], body: bytes
    ) -> tuple[dict[str, object], dict[str, object], Registration]:
        method = _text(metadata, "token_endpoint_auth_method") or "client_secret_basic"
        if method not in AUTH_METHODS:
            raise InvalidClientMetadata(
                f"token_endpoint_auth_method must be one of: {', '.join(AUTH_METHODS)}."
            )
        public = method == "none"
        grant_types = _list(metadata, "grant_types") or [GRANT_AUTHORIZATION_CODE]
        response_types = _list(metadata, "response_types")
        unknown = [g for g in grant_types if g not in GRANTS_ALLOWED]
        if unknown:
            raise InvalidClientMetadata(
                f"Unsupported grant type {_short(unknown[0])!r}; a client may register "
                f"for: {', '.join(GRANTS_ALLOWED)}."
            )
        code = GRANT_AUTHORIZATION_CODE in grant_types
        if response_types is None:
            response_types = ["code"] if code else []
        if any(r != "code" for r in response_types):
            raise InvalidClientMetadata("The only response type is code (RFC 7591 section 2.1).")
        if code != ("code" in response_types):
            raise InvalidClientMetadata(
                "grant_types and response_types disagree: authorization_code goes with the "
                "code response type, and only with it (RFC 7591 section 2.1)."
            )
        device = GRANT_DEVICE_CODE in grant_types
        if GRANT_REFRESH in grant_types and not (code or device):
            raise InvalidClientMetadata(
                "refresh_token needs the authorization_code or device grant here."
            )
        credentials = GRANT_CLIENT_CREDENTIALS in grant_types
        if public and credentials:
            raise InvalidClientMetadata(
                "client_credentials needs a secret: choose client_secret_basic or "
                "client_secret_post, not none."
            )
        uris = _list(metadata, "redirect_uris") or []
        if len(uris) > REDIRECT_URIS_MAX:
            raise InvalidRedirectUri(f"At most {REDIRECT_URIS_MAX} redirect_uris.")
        if code and not uris:
            raise InvalidRedirectUri("The authorization_code grant needs redirect_uris.")
        name = _text(metadata, "client_name")
        if name is not None and validation.has_control_characters(name):
            raise InvalidClientMetadata("client_name contains control characters.")
        scope = _text(metadata, "scope") or ""
        client_uri = _text(metadata, "client_uri") or ""
        if client_uri:
            _check_client_uri(client_uri)
        software = {}
        for key in ("software_id", "software_version"):
            value = _text(metadata, key) or ""
            if len(value) > TEXT_MAX or validation.has_control_characters(value):
                raise InvalidClientMetadata(
                    f"{key} must be at most {TEXT_MAX} characters without control characters."
                )
            software[key] = value
        try:
            fields = self.store.clients.validated(
                name=name if name is not None and name.strip() else DEFAULT_NAME,
                redirect_uris=uris,
                authorization_code=code,
                password=False,
                personal_access=False,
                client_credentials=credentials,
                device=device,
                public=public,
                scopes=scope,
            )
        except ValidationError as exc:
            field, message = next(iter(exc.errors.items()))
            if field == "redirect_uris":
                raise InvalidRedirectUri(message) from None
            raise InvalidClientMetadata(f"{_FIELD_NAMES.get(field, field)}: {message}") from None
        undefined = self.store.scopes.undefined(str(fields["scopes"]).split())
        if undefined:
            raise InvalidClientMetadata(
                f"scope: not defined on this server: {_short(' '.join(undefined))}."
            )
        answer: dict[str, object] = {
            "client_name": fields["name"],
            "redirect_uris": [u for u in str(fields["redirect_uris"]).split("\n") if u],
            "grant_types": [g for g in GRANTS_ALLOWED if g in grant_types],
            "response_types": response_types[:1],
            "token_endpoint_auth_method": method,
        }
        if fields["scopes"]:
            answer["scope"] = fields["scopes"]
        if client_uri:
            answer["client_uri"] = client_uri
        answer.update({k: v for k, v in software.items() if v})
        origin = Registration(
            client_uri=client_uri,
            software_id=software["software_id"],
            software_version=software["software_version"],
            metadata=body.decode("utf-8"),
        )
        return fields, answer, origin


_FIELD_NAMES = {"name": "client_name", "scopes": "scope", "public": "token_endpoint_auth_method"}


def _parse(content_type: str, body: bytes) -> dict[str, object]:
    media = content_type.partition(";")[0].strip().lower()
    if media != "application/json":
        raise InvalidClientMetadata(
            "Send the client metadata as JSON with Content-Type: application/json "
            "(RFC 7591 section 3.1)."
        )
    if len(body) > METADATA_MAX:
        raise PayloadTooLarge(f"The metadata is {len(body)} bytes; at most {METADATA_MAX}.")
    try:
        value = json.loads(body.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidClientMetadata("The body is not valid UTF-8 JSON.") from None
    if not isinstance(value, dict):
        raise InvalidClientMetadata("The body must be a JSON object of client metadata.")
    return value


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate member {key!r}")
        out[key] = value
    return out


def _text(metadata: Mapping[str, object], key: str) -> str | None:
    value = metadata.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidClientMetadata(f"{key} must be a string.")
    if "\x00" in value:
        raise InvalidClientMetadata(f"{key} contains a NUL character.")
    return value


def _list(metadata: Mapping[str, object], key: str) -> list[str] | None:
    value = metadata.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        error = InvalidRedirectUri if key == "redirect_uris" else InvalidClientMetadata
        raise error(f"{key} must be an array of strings.")
    if len(value) > 100:
        error = InvalidRedirectUri if key == "redirect_uris" else InvalidClientMetadata
        raise error(f"{key} has {len(value)} members; far too many.")
    return list(value)


def _check_client_uri(uri: str) -> None:
    bad = len(uri) > validation.URI_MAX or validation.has_control_characters(uri)
    bad = bad or any(ch.isspace() for ch in uri) or "\\" in uri
    try:
        parts = urlsplit(uri)
    except ValueError:
        bad = True
    else:
        bad = bad or parts.scheme.lower() not in ("https", "http") or not parts.hostname
    if bad:
        raise InvalidClientMetadata("client_uri must be an absolute http(s) URL.")


def _bearer(authorization: list[str]) -> str:
    if len(authorization) > 1:
        raise InvalidToken("The Authorization header is given more than once.")
    if not authorization:
        raise InvalidToken(
            "Registration here needs an initial access token: send "
            "Authorization: Bearer <token> (RFC 7591 section 3).",
            code=False,
        )
    scheme, _, token = authorization[0].strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 512:
        raise InvalidToken("Use Authorization: Bearer <initial access token>.")
    return token.strip()


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
