"""The client's credentials and the request builders for each grant and action."""

from __future__ import annotations

from urllib.parse import urlencode

from authclients.store.oauth_client.client_auth import ClientCredentials
from authclients.store.oauth_client.discovery import API_PATH, Target
from authclients.store.oauth_client.http import FORM_TYPE, HttpRequest


def _form_request(
    title: str,
    url: str,
    client: ClientCredentials,
    params: dict[str, str],
    secrets_: tuple[str, ...] = (),
) -> HttpRequest:
    headers, body, masked = client.apply({k: v for k, v in params.items() if v}, url)
    return HttpRequest(
        title=title,
        method="POST",
        url=url,
        headers=(("Content-Type", FORM_TYPE), ("Accept", "application/json"), *headers),
        body=urlencode(body),
        secrets=(*masked, *secrets_),
    )


def password_request(
    target: Target, client: ClientCredentials, username: str, password: str, scope: str = ""
) -> HttpRequest:
    """RFC 6749 §4.3.2."""
    params = {"grant_type": "password", "username": username, "password": password, "scope": scope}
    return _form_request("password grant", target.token_url, client, params, (password,))


def client_credentials_request(
    target: Target, client: ClientCredentials, scope: str = ""
) -> HttpRequest:
    """RFC 6749 §4.4.2."""
    params = {"grant_type": "client_credentials", "scope": scope}
    return _form_request("client credentials", target.token_url, client, params)


def code_exchange_request(
    target: Target, client: ClientCredentials, code: str, redirect_uri: str, verifier: str
) -> HttpRequest:
    """RFC 6749 §4.1.3 with RFC 7636 §4.5."""
    params = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    return _form_request("code exchange", target.token_url, client, params, (code, verifier))


def refresh_request(
    target: Target, client: ClientCredentials, refresh_token: str, scope: str = ""
) -> HttpRequest:
    """RFC 6749 §6."""
    params = {"grant_type": "refresh_token", "refresh_token": refresh_token, "scope": scope}
    return _form_request("refresh", target.token_url, client, params, (refresh_token,))


def revoke_request(
    target: Target, client: ClientCredentials, token: str, hint: str = ""
) -> HttpRequest:
    """RFC 7009 §2.1."""
    params = {"token": token, "token_type_hint": hint}
    return _form_request("revoke", target.revoke_url, client, params, (token,))


def introspect_request(target: Target, client: ClientCredentials, token: str) -> HttpRequest:
    """RFC 7662 §2.1."""
    return _form_request("introspect", target.introspect_url, client, {"token": token}, (token,))


def api_request(target: Target, access_token: str, path: str = API_PATH) -> HttpRequest:
    """A protected resource with the token in the header (RFC 6750 §2.1)."""
    return HttpRequest(
        title=f"GET {path.strip() or API_PATH}",
        method="GET",
        url=target.api_url(path),
        headers=(("Authorization", f"Bearer {access_token}"), ("Accept", "application/json")),
        secrets=(access_token,),
    )
