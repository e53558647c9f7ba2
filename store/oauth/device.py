"""The device authorization endpoint (RFC 8628 §3.1-3.2) and the checks of its verification page.

The device asks for codes here; the person types the user code on the
verification page, whose lookups are rate-limited per address together with
wrong passwords (RFC 8628 §5.1: a user code is short, so guessing must be
stopped), and approves or denies. Polling is the token endpoint's
``DeviceCodeGrant``.
"""

from __future__ import annotations

from collections.abc import Mapping

from authclients.store import errors as store_errors
from authclients.store.oauth.context import ServerContext
from authclients.store.oauth.errors import InvalidClient, UnauthorizedClient, slowed_down
from authclients.store.oauth.requests import ClientCredentials, request_source
from authclients.store.oauth.scopes import check_scopes
from authclients.store.ratelimit import RateLimiter
from authclients.store.records import GRANT_DEVICE, DeviceInfo

DEVICE_PATH = "/oauth/device"
"""The verification page (Passport 13's path)."""
DEVICE_CODE_PATH = "/oauth/device/code"
"""The device authorization endpoint (Passport 13's path)."""


class UserCodeRefused(Exception):
    """A user code typed on the verification page that leads nowhere; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DeviceAuthorizationEndpoint:
    """RFC 8628 §3.1-3.2 for devices; the lookups and decisions of the verification page."""

    def __init__(self, server: ServerContext, limiter: RateLimiter) -> None:
        self.server = server
        self.limiter = limiter

    def authorize(
        self, params: Mapping[str, str], credentials: ClientCredentials, issuer: str
    ) -> dict[str, object]:
        """A device authorization response (RFC 8628 §3.2) for an authenticated client.

        The client authenticates as at the token endpoint (a public client by
        its ``client_id``); without the device grant it is ``unauthorized_client``;
        its ``scope`` is checked as every grant's is (defined, and in its list).
        """
        client = self.server.authenticate_client(credentials)
        if not client.allows(GRANT_DEVICE):
            raise UnauthorizedClient(
                f"Client {client.id} may not use the device grant; "
                "an admin can enable it in the console."
            )
        raw = params.get("scope", "")
        scopes = check_scopes(raw, client) if raw else ()
        try:
            with slowed_down():
                made = self.server.store.devices.request(client.id, scopes)
        except store_errors.NotFound:
            raise InvalidClient(f"Client {client.id} was deleted.") from None
        except store_errors.ValidationError as exc:  # the grant switched off meanwhile
            raise UnauthorizedClient(str(exc.errors.get("client", exc))) from None
        verification_uri = f"{issuer}{DEVICE_PATH}"
        return {
            "device_code": made.device_code,
            "user_code": made.user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": f"{verification_uri}?user_code={made.user_code}",
            "expires_in": made.expires_in,
            "interval": made.interval,
        }

    # -- the verification page -------------------------------------------------------

    def find(self, user_code: str, *, source: str | None = None) -> DeviceInfo:
        """The pending request of a typed user code, within the per-address limit.

        ``SlowDown`` once the address has failed too often (wrong codes and wrong
        passwords together), before any lookup; ``UserCodeRefused`` for a code
        that is malformed, unknown, expired or decided, which counts as a failure.
        """
        source = request_source() if source is None else source
        with slowed_down():
            self.limiter.check_source(source)
        try:
            return self.server.store.devices.find_by_user_code(user_code)
        except store_errors.NotFound:
            message = "That code is not one we gave out; check what the device shows."
        except store_errors.ValidationError as exc:
            message = next(iter(exc.errors.values()))
        self.limiter.record_source_failure(source)
        raise UserCodeRefused(message)

    def decide(self, device_id: int, user_id: int, *, approve: bool) -> DeviceInfo:
        """Approve or deny for the signed-in user; ``UserCodeRefused`` when it is too late."""
        devices = self.server.store.devices
        try:
            if approve:
                return devices.approve(device_id, user_id)
            return devices.deny_for_user(device_id, user_id)
        except (store_errors.NotFound, store_errors.ValidationError) as exc:
            message = (
                next(iter(exc.errors.values()))
                if isinstance(exc, store_errors.ValidationError)
                else "This device request no longer exists."
            )
            raise UserCodeRefused(message) from None


__all__ = [
    "DEVICE_CODE_PATH",
    "DEVICE_PATH",
    "DeviceAuthorizationEndpoint",
    "UserCodeRefused",
]
