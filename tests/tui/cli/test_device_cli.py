"""The device grant on the command line: ``--device``/``--no-device``, the grants column,
``tokens list`` naming the grant, the audit log, purge, terminal-safe names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from authclients.store import Store
from authclients.store.clock import ManualClock
from authclients.store.models import AuditEvent, Client
from tests.tui.cli.runner import CLI, add_user, create


def redeem(store: Store, client_id: int, user_id: int) -> None:
    """A device request approved and polled, as the endpoint would: one device token."""
    made = store.devices.request(client_id, "")
    store.devices.approve(made.info.id, user_id)
    with store.atomic():
        grant = store.devices.poll(made.device_code, client_id)
        client = store.clients.get(client_id)
        issued = store.tokens.issue(
            client, grant_type="device", user_id=grant.user_id, with_refresh=True
        )
        store.devices.link_token(grant.id, issued.info.id)


def test_create_and_update_the_device_grant(run: CLI, open_store: Callable[..., Store]) -> None:
    body = create(run, "--name", "TV app", "--public", "--device")
    assert body["grant_types"] == ["device"] and body["device"] is True
    assert body["public"] is True and body.get("secret") is None
    shown = run("clients", "show", str(body["id"]))
    assert shown.code == 0 and "device" in shown.out
    listed = run("clients", "list")
    assert "device" in listed.out

    off = run(
        "clients",
        "update",
        str(body["id"]),
        "--no-device",
        "--redirect",
        "https://tv.example/cb",
        "--yes",
        "--json",
    )
    assert off.code == 0, off.err
    assert off.json()["grant_types"] == ["authorization_code"]
    # A client must keep a grant: switching the last one off is refused in one line.
    refused = run("clients", "update", str(body["id"]), "--clear-redirects", "--json")
    assert refused.code != 0 and "at least one grant" in refused.error_line()
    audit = [e.detail for e in AuditEvent.select().where(AuditEvent.action == "client.create")]
    assert any("grants=device" in d for d in audit)


def test_tokens_list_names_the_device_grant_and_purge_counts_requests(
    run: CLI, open_store: Callable[..., Store]
) -> None:
    body = create(run, "--name", "TV app", "--public", "--device")
    add_user(run, "alice")
    store = open_store()
    alice = store.users.get("alice")
    redeem(store, body["id"], alice.id)
    listed = run("tokens", "list")
    assert listed.code == 0
    row = next(line for line in listed.out.splitlines() if "TV app" in line)
    assert " device " in row and "alice" in row
    as_json = run("tokens", "list", "--json").json()
    assert as_json["items"][0]["grant_type"] == "device"
    approvals = AuditEvent.select().where(AuditEvent.action == "device.approve")
    assert [e.object_type for e in approvals] == ["device"]
    assert "user='alice'" in approvals[0].detail and f"client={body['id']}" in approvals[0].detail

    # Purge takes device requests dead for long enough; the token one gave stays.
    past = open_store(ManualClock(datetime.now(UTC) - timedelta(days=2)))
    past.devices.request(body["id"], "")
    dry = run("tokens", "purge", "--older-than", "1", "--dry-run")
    assert dry.code == 0 and "Would delete 1 expired device request." in dry.out
    purged = run("tokens", "purge", "--older-than", "1", "--json")
    assert purged.code == 0 and purged.json()["device_requests"] == 1
    assert len(store.devices.pending()) == 0
    assert run("tokens", "list", "--json").json()["total"] == 1


def test_a_hostile_device_client_name_is_shown_safely(run: CLI) -> None:
    body = create(run, "--name", "TV app", "--public", "--device")
    # Written behind the CLI's back (the CLI itself refuses control characters).
    Client.update(name="TV\x1b]52;c;bad\x07app").where(Client.id == body["id"]).execute()
    listed = run("clients", "list")
    assert "\x1b" not in listed.out and "\x07" not in listed.out
    assert "␛" in listed.out
