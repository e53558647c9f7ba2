"""The device authorization grant at the token endpoint (RFC 8628 §3.4-3.5): the device polls."""

from __future__ import annotations

from authclients.store import errors as store_errors
from authclients.store.oauth.errors import (
    AuthorizationPending,
    DeviceAccessDenied,
    ExpiredToken,
    InvalidGrant,
    InvalidScope,
    OAuthError,
    PollSlowDown,
    UnauthorizedClient,
)
from authclients.store.oauth.grants.base import Grant
from authclients.store.oauth.scopes import still_allowed
from authclients.store.records import GRANT_DEVICE, GRANT_DEVICE_CODE, IssuedToken

_POLL_ERRORS: dict[type[store_errors.DevicePollRefused], type[OAuthError]] = {
    store_errors.AuthorizationPending: AuthorizationPending,
    store_errors.PollTooFast: PollSlowDown,
    store_errors.DeviceDenied: DeviceAccessDenied,
    store_errors.DeviceExpired: ExpiredToken,
}


class DeviceCodeGrant(Grant):
    """Device access token request (RFC 8628 §3.4), answered as §3.5 says.

    ``authorization_pending`` until someone decides, ``slow_down`` (and 5 s
    more interval) for a device polling too fast, ``access_denied``,
    ``expired_token``; once approved, an access token and a refresh token
    (as Passport issues), exactly once: the redemption and the issue are one
    transaction, and a second poll is ``invalid_grant``. The path costs no
    bcrypt: a digest lookup and one UPDATE per poll.
    """

    GRANT_TYPE = GRANT_DEVICE_CODE

    def validate(self) -> None:
        super().validate()
        self.device_code = self.required("device_code")

    def issue(self) -> IssuedToken:
        # Any refusal still commits what the poll wrote (its time, a longer interval; or
        # the redemption, burnt by a check that failed after it), so nothing is raised
        # inside the transaction.
        failure: OAuthError | None = None
        issued: IssuedToken | None = None
        with self.store.atomic():
            try:
                grant = self.store.devices.poll(self.device_code, self.client.id)
            except store_errors.DevicePollRefused as exc:
                failure = _POLL_ERRORS[type(exc)](str(exc))
            except store_errors.InvalidGrant as exc:
                failure = InvalidGrant(str(exc))
            else:
                client = self.store.clients.find_active(self.client.id, lock=True)
                try:
                    if client is None or not client.allows(GRANT_DEVICE):
                        raise UnauthorizedClient(
                            f"Client {self.client.id} may no longer use the device grant."
                        )
                    if not self.server.user_active(grant.user_id):
                        raise InvalidGrant("The user who approved this device is no longer active.")
                    scopes = still_allowed(grant.scopes, client)
                    if grant.scopes and not scopes:
                        raise InvalidScope(
                            f"Client {client.id} may no longer have any scope the user "
                            "approved; start again on the device."
                        )
                    issued = self.store.tokens.issue(
                        client,
                        grant_type=GRANT_DEVICE,
                        user_id=grant.user_id,
                        scopes=scopes,
                        with_refresh=True,
                        owner_generation=grant.user_generation,
                    )
                    self.store.devices.link_token(grant.id, issued.info.id)
                except store_errors.InvalidGrant as exc:
                    failure = InvalidGrant(str(exc))
                except OAuthError as exc:
                    failure = exc
        if failure is not None:
            raise failure
        assert issued is not None
        return issued
