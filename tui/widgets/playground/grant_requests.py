"""The request each grant sends, built from the grant form's values (no Textual here)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol
from urllib.parse import urlencode

from authclients.store import oauth_client as oc
from authclients.store.records import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_PASSWORD,
    GRANT_REFRESH_TOKEN,
    IssuedToken,
)


class NotReady(Exception):
    """An input the grant needs is empty: ``str(exc)`` says which and where to get it."""


def grant_request(
    grant: str,
    target: oc.Target,
    creds: oc.ClientCredentials,
    value: Callable[..., str],
    verifier: str,
) -> oc.HttpRequest:
    """The token request of ``grant`` (password, client credentials, code, refresh).

    Args:
        value: reads an input by id; ``strip=False`` for the password, sent as typed.
        verifier: the PKCE verifier of the current authorization request.

    Raises:
        NotReady: no client, no code yet, or no refresh token.
    """
    if not creds.client_id:
        raise NotReady(NO_CLIENT)
    if grant == GRANT_PASSWORD:
        password = value("pg-password", strip=False)
        scope = value("pg-scope-password")
        return oc.password_request(target, creds, value("pg-username"), password, scope)
    if grant == GRANT_CLIENT_CREDENTIALS:
        return oc.client_credentials_request(target, creds, value("pg-scope-client"))
    if grant == GRANT_AUTHORIZATION_CODE:
        code = value("pg-code")
        if not code:
            raise NotReady(
                "No code yet: Sign in and approve here (ctrl+n), or paste the redirected URL."
            )
        redirect = value("pg-redirect-uri")
        return oc.code_exchange_request(target, creds, code, redirect, verifier)
    refresh = value("pg-refresh-token")
    if not refresh:
        raise NotReady("No refresh token: get one with a grant, or paste it.")
    return oc.refresh_request(target, creds, refresh, value("pg-scope-refresh"))


class PersonalTokenMaker(Protocol):
    """The store's token service, as far as the playground uses it."""

    def create_personal_access_token(
        self, username: str, name: str, *, scopes: str, lifetime: timedelta | None, client_id: int
    ) -> IssuedToken: ...


@dataclass(frozen=True)
class PersonalTokenOrder:
    """A personal access token to make in the store, and the history entry that shows it."""

    username: str
    name: str
    scopes: str
    days: int | None
    """None: the store's default lifetime (the box left empty)."""

    @classmethod
    def from_form(cls, value: Callable[..., str]) -> PersonalTokenOrder:
        days_text = value("pg-pat-days")
        days = int(days_text) if days_text.lstrip("-").isdigit() else 0
        return cls(
            username=value("pg-pat-username") or value("pg-username"),
            name=value("pg-pat-name"),
            scopes=value("pg-pat-scopes"),
            days=days if days_text else None,
        )

    def as_request(self) -> oc.HttpRequest:
        """Not HTTP: a ``STORE`` entry whose body the curl panel turns into the CLI line."""
        params = {
            "username": self.username,
            "name": self.name,
            "scopes": self.scopes,
            "days": "" if self.days is None else str(self.days),
        }
        return oc.HttpRequest(
            title="personal access token",
            method="STORE",
            url="authclients.store.tokens.create_personal_access_token",
            body=urlencode(params),
        )

    def create(self, tokens: PersonalTokenMaker, client_id: int) -> IssuedToken:
        """Make the token in the store: blocking, so a worker calls it."""
        lifetime = None if self.days is None else timedelta(days=self.days)
        return tokens.create_personal_access_token(
            self.username, self.name, scopes=self.scopes, lifetime=lifetime, client_id=client_id
        )

    def answered(self, issued: IssuedToken) -> oc.Exchange:
        """The store's answer as an exchange; the panels show it as made in the store.

        The status is only for ``Exchange.ok``: no panel prints it as an HTTP status
        line, since no HTTP took place.
        """
        response = oc.HttpResponse(200, "", (), json.dumps(issued.response()))
        return oc.Exchange(self.as_request(), response)


NO_CLIENT = "Choose a client, or type its id."


def follow_up_request(
    action: str,
    target: oc.Target,
    creds: oc.ClientCredentials,
    tokens: oc.TokenSet | None,
    *,
    typed_refresh: str = "",
    api_path: str = "",
) -> oc.HttpRequest:
    """What to send after a grant: ``refresh_token``, ``introspect``, ``revoke`` or ``api``.

    Args:
        tokens: the last token response's tokens, or None.
        typed_refresh: a refresh token pasted in the form, used when the last response had none.
        api_path: the protected resource for ``api``.

    Raises:
        NotReady: no client, no access token or no refresh token.
    """
    access = tokens.access_token if tokens else ""
    if action == GRANT_REFRESH_TOKEN:
        if not creds.client_id:
            raise NotReady(NO_CLIENT)
        refresh = (tokens.refresh_token if tokens else "") or typed_refresh
        if not refresh:
            raise NotReady("No refresh token in the last response.")
        return oc.refresh_request(target, creds, refresh)
    if not access:
        raise NotReady("No access token yet: Send a grant first.")
    if action == "api":
        return oc.api_request(target, access, api_path)
    if not creds.client_id:
        raise NotReady(NO_CLIENT)
    if action == "introspect":
        return oc.introspect_request(target, creds, access)
    return oc.revoke_request(target, creds, access, "access_token")
