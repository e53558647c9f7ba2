"""The playground screen's device grant (RFC 8628): codes, polls and "approve here".

A mixin of ``PlaygroundScreen``, kept apart so the screen stays one job per
section: it uses the screen's ``_send``, panels and token handling, and the
``DeviceFlowForm`` widget keeps the polling plan and its timer.
"""

from __future__ import annotations

from textual.containers import VerticalScroll

from authclients.store import oauth_client as oc
from authclients.store.grant_types import GRANT_DEVICE
from authclients.tui.screens.device_sign_in import DeviceDecision, DeviceSignInScreen
from authclients.tui.widgets.playground.client_picker import ClientPicker
from authclients.tui.widgets.playground.device_flow import DeviceFlowForm


class DeviceGrantActions:
    """Request codes, poll when the widget says so, approve here; the screen shows it all.

    It names the screen's parts (``view``, ``form``, ``_send``) without importing the
    screen, which imports it: the console's modules import one way only.
    """

    @property
    def device(self) -> DeviceFlowForm:
        return self.query_one(DeviceFlowForm)

    def _request_device_codes(self) -> None:
        creds = self.query_one(ClientPicker).credentials()
        if not creds.client_id:
            self.view.say("Choose a client, or type its id.", error=True)
            return
        self.device.stop()  # new codes replace the old ones: their polling ends
        scope = self.form.value("pg-scope-device")
        request = oc.device_code_request(self._read_target(), creds, scope)
        self._send(request, GRANT_DEVICE, self._device_codes_received, reveal=False)

    def _device_codes_received(self, done: oc.Exchange) -> None:
        if not done.ok or done.response is None:
            # The outcome line says why, with a hint: bring it up (sent without reveal).
            self.call_after_refresh(self._reveal_outcome)
            return
        try:
            codes = oc.DeviceCodes.from_response(done.response.json())
        except oc.NotDeviceCodes as exc:
            self.view.say(f"No device codes: {exc}", error=True)
            self.call_after_refresh(self._reveal_outcome)
            return
        self.device.begin(codes)
        self.call_after_refresh(self._reveal_device_codes)
        self.view.say(
            f"Codes received: {codes.user_code}. Approve it (ctrl+n here, or the URL); "
            f"polling every {codes.interval} s."
        )

    def _reveal_device_codes(self) -> None:
        body = self.query_one("#pg-body", VerticalScroll)
        body.scroll_to_widget(self.query_one("#pg-device-codes"), top=True, animate=False)

    def on_device_flow_form_poll_due(self, event: DeviceFlowForm.PollDue) -> None:
        creds = self.query_one(ClientPicker).credentials()
        request = oc.device_token_request(self._read_target(), creds, event.device_code)
        self._send(request, GRANT_DEVICE, self._device_polled, reveal=False)

    def _device_polled(self, done: oc.Exchange) -> None:
        outcome = self.device.answered(done)
        if outcome == "tokens":
            self._token_received(done)
            self.view.say("Approved: the device has its tokens (see the Token tab).")
            self.call_after_refresh(self._reveal_outcome)

    def action_stop_device(self) -> None:
        self.device.stop()

    def _approve_device_here(self) -> None:
        if not self.embedded:
            self.view.say(
                "Approve here works with the embedded endpoint: open the verification URL "
                "in a browser for another server.",
                error=True,
            )
            return
        if not self.device.active:
            self.view.say("No device code waiting: Request codes first (ctrl+s).", error=True)
            return
        username = self.form.value("pg-username")
        self.app.push_screen(
            DeviceSignInScreen(self.device.user_code, username=username), self._device_decided
        )

    def _device_decided(self, decision: DeviceDecision | None) -> None:
        if decision is None:
            return
        verb = "Approved" if decision.approved else "Denied"
        self.view.say(
            f"{verb} {decision.device.user_code} as {decision.username}: the next poll says so."
        )
