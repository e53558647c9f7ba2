"""Resource servers a token may be bound to (RFC 8707): define, list, delete, look up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import peewee as pw

from authclients.store import crypto, validation
from authclients.store.context import StoreContext
from authclients.store.errors import NotFound, ValidationError
from authclients.store.models import Client, ResourceServer

RESOURCES_PER_REQUEST = 10
"""More ``resource`` parameters than this in one request is not a real client."""


@dataclass(frozen=True)
class ResourceInfo:
    """A resource server as the admin sees it."""

    id: int
    uri: str
    name: str
    introspection_client_id: int | None
    created_at: datetime


def check_resource_uri(uri: str) -> str | None:
    """What is wrong with ``uri`` as an RFC 8707 §2 resource indicator, or None.

    An absolute URI without a fragment; https, or http to a loopback host (a
    server under development), as redirect URIs are.
    """
    if not uri:
        return "Give the resource's URI, such as https://api.example.com/mcp."
    if len(uri) > validation.URI_MAX:
        return f"Too long: at most {validation.URI_MAX} characters."
    if not uri.isascii() or any(ch.isspace() for ch in uri):
        return "Remove the spaces, control and non-ASCII characters (percent-encode them)."
    if validation.has_control_characters(uri) or "\\" in uri:
        return "Remove the control characters and backslashes."
    if "#" in uri:
        return "A resource URI has no #fragment (RFC 8707 section 2)."
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return "Malformed URI (check the host and port)."
    if parts.scheme.lower() == "https" and parts.hostname:
        return None
    if parts.scheme.lower() == "http" and parts.hostname:
        if validation.is_loopback_host(parts.hostname):
            return None
        return "Plain http is allowed only for a loopback host (127.0.0.1, [::1], localhost)."
    return "Not an absolute https:// URI (RFC 8707 section 2)."


class ResourceServers:
    """The resource servers the authorization server knows; nothing else is a ``resource``."""

    def __init__(self, store: StoreContext) -> None:
        self._store = store

    def list(self) -> list[ResourceInfo]:
        return [_info(row) for row in ResourceServer.select().order_by(ResourceServer.uri)]

    def get(self, uri: str) -> ResourceInfo:
        row = ResourceServer.get_or_none(ResourceServer.uri == uri)
        if row is None:
            raise NotFound("resource", uri)
        return _info(row)

    def add(
        self, uri: str, name: str = "", *, introspection_client_id: int | None = None
    ) -> ResourceInfo:
        """Define a resource server; ``introspection_client_id`` may introspect its tokens."""
        uri = (uri or "").strip()
        errors: dict[str, str] = {}
        error = check_resource_uri(uri)
        if error:
            errors["uri"] = error
        name = (name or "").strip()
        if name:
            name, error = validation.clean_name(name)
            if error:
                errors["name"] = error
        if errors:
            raise ValidationError(errors)
        with self._store.atomic():
            if introspection_client_id is not None:
                client = Client.get_or_none(
                    (Client.id == introspection_client_id) & (Client.revoked == False)
                )
                if client is None:
                    raise ValidationError.single("client", f"No client {introspection_client_id}.")
                if client.public:
                    raise ValidationError.single(
                        "client",
                        f"Client {client.id} is public: introspection needs a confidential "
                        "client (one with a secret).",
                    )
            if ResourceServer.get_or_none(ResourceServer.uri == uri) is not None:
                raise ValidationError.single("uri", f"{uri} is already defined.")
            try:
                row = ResourceServer.create(
                    uri=uri,
                    name=name,
                    introspection_client=introspection_client_id,
                    created_at=self._store.clock.now(),
                )
            except pw.IntegrityError:
                raise ValidationError.single("uri", f"{uri} is already defined.") from None
            self._store.audit.record("resource.add", "resource", row.id, f"uri={uri!r}")
        return _info(row)

    def delete(self, uri: str) -> None:
        """Forget the resource server: tokens bound to it keep their audience until they end."""
        with self._store.atomic():
            row = ResourceServer.get_or_none(ResourceServer.uri == uri)
            if row is None:
                raise NotFound("resource", uri)
            row.delete_instance()
            self._store.audit.record("resource.delete", "resource", row.id, f"uri={uri!r}")

    def unknown(self, uris: tuple[str, ...]) -> tuple[str, ...]:
        """Those of ``uris`` that are not defined (one indexed read)."""
        if not uris:
            return ()
        known = {
            uri
            for (uri,) in ResourceServer.select(ResourceServer.uri)
            .where(ResourceServer.uri.in_(list(uris)))
            .tuples()
        }
        return tuple(u for u in uris if u not in known)

    def served_by(self, client_id: int) -> tuple[str, ...]:
        """The resources whose introspection client ``client_id`` is."""
        return tuple(
            uri
            for (uri,) in ResourceServer.select(ResourceServer.uri)
            .where(ResourceServer.introspection_client == client_id)
            .tuples()
        )

    def audience_of(self, token: str) -> tuple[str, ...]:
        """The audience an access (or refresh) token is bound to; empty when none or unknown.

        Plain SQL by the tokens' unique digest indexes: introspection and ``users/me``
        ask this on every request, and Peewee building the query cost ~100 µs, a third
        of an introspection (the statements below run in a few µs).
        """
        db = self._store.db
        p = db.param
        digest = crypto.digest(token or "")
        row = db.execute_sql(
            f"SELECT audience FROM access_token WHERE token_hash = {p}", (digest,)
        ).fetchone()
        if row is None:
            row = db.execute_sql(
                "SELECT a.audience FROM access_token a JOIN refresh_token r "
                f"ON r.access_token_id = a.id WHERE r.token_hash = {p}",
                (digest,),
            ).fetchone()
        return tuple(((row[0] if row else None) or "").split())


def _info(row: ResourceServer) -> ResourceInfo:
    return ResourceInfo(
        id=row.id,
        uri=row.uri,
        name=row.name,
        introspection_client_id=row.introspection_client_id,
        created_at=row.created_at,
    )
