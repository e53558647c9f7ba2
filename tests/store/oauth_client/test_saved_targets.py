"""Saved targets: a file with no secret in it, secrets in a keyring when there is one."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from authclients.store.oauth_client.saved_targets import (
    KeyringSecrets,
    SavedTarget,
    SavedTargetError,
    SavedTargets,
)
from tests.fake_keyring import MemoryKeyring

DEV = SavedTarget("dev realm", "https://id.example/realms/dev", "cli", "client_secret_post", "read")


def test_with_a_keyring_the_secret_goes_there_never_in_the_file(
    config_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    saved = SavedTargets()
    assert saved.keeps_secrets
    assert saved.save(DEV, "s3cret-value") is True

    text = (config_dir / "targets.json").read_text()
    assert "s3cret-value" not in text
    assert json.loads(text)["targets"][0]["issuer"] == DEV.issuer
    assert stat.S_IMODE((config_dir / "targets.json").stat().st_mode) == 0o600
    again = SavedTargets()
    assert again.list() == [DEV] and again.secret("dev realm") == "s3cret-value"

    again.delete("dev realm")
    assert again.list() == [] and memory_keyring.items == {}


@pytest.fixture
def no_keyring() -> None:
    """A machine without a usable keyring backend (a server over SSH, CI)."""
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


def test_without_a_keyring_nothing_is_kept_and_it_says_so(
    config_dir: Path, no_keyring: None
) -> None:
    saved = SavedTargets(secrets=KeyringSecrets())
    assert not saved.keeps_secrets
    assert saved.save(DEV, "s3cret-value") is False
    assert "s3cret-value" not in (config_dir / "targets.json").read_text()
    assert saved.secret("dev realm") == ""


def test_saving_again_replaces_by_name(config_dir: Path, memory_keyring: MemoryKeyring) -> None:
    saved = SavedTargets()
    saved.save(DEV, "one")
    changed = SavedTarget("dev realm", DEV.issuer, "other-client")
    saved.save(changed)  # no secret this time: the old one is dropped, not left behind
    assert saved.list() == [changed]
    assert saved.secret("dev realm") == ""


@pytest.mark.parametrize(
    ("target", "field"),
    [
        (SavedTarget("", "https://a", "1"), "Name"),
        (SavedTarget("x" * 61, "https://a", "1"), "Name"),
        (SavedTarget("a\x1b[2J", "https://a", "1"), "Control"),
        (SavedTarget("a", "ftp://a", "1"), "Issuer"),
        (SavedTarget("a", "https://a", " "), "Client id"),
        (SavedTarget("a", "https://a", "1", "magic"), "Auth method"),
    ],
)
def test_what_could_not_be_used_again_is_refused(
    config_dir: Path, target: SavedTarget, field: str
) -> None:
    with pytest.raises(SavedTargetError, match=field):
        SavedTargets().save(target)
    assert not (config_dir / "targets.json").exists()


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'{"targets": [{"name": 1}]}',
        b'{"targets": "x"}',
        b"[]",
        b" " * 300_000,
        b"[" * 100_000,  # deeper than Python's stack: RecursionError, not ValueError
    ],
)
def test_a_damaged_file_reads_as_none_and_says_why(config_dir: Path, content: bytes) -> None:
    (config_dir / "targets.json").write_bytes(content)
    saved = SavedTargets()
    assert saved.list() == []
    assert str(config_dir / "targets.json") in saved.problem


def test_a_keyring_that_refuses_the_secret_saves_the_target_without_it(
    config_dir: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found attacking issue 17: a locked keyring's error escaped ``save`` (the console
    # saves in a worker thread, which such an error ended with a traceback).
    from keyring.errors import KeyringLocked

    def refuse(service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")

    monkeypatch.setattr(memory_keyring, "set_password", refuse)
    saved = SavedTargets()
    assert saved.save(DEV, "s3cret") is False
    assert "locked" in saved.problem
    assert [t.name for t in saved.list()] == ["dev realm"]
    assert "s3cret" not in (config_dir / "targets.json").read_text()
    assert memory_keyring.items == {}
