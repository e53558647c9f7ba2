"""Named servers the playground can pick again: issuer, client, auth method, scope, redirect.

Kept in ``targets.json`` under the platform's config folder (``$AUTHCLIENTS_CONFIG_DIR``
overrides it), mode 0600, written atomically. Secrets never go in that file: a
client secret is kept in the OS keyring through the ``keyring`` package where
one works (``pip install 'authclients[keyring]'``), else it is asked each run.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from platformdirs import user_config_dir

from authclients.store.oauth_client.client_auth import AUTH_METHODS, BASIC

CONFIG_DIR_ENV = "AUTHCLIENTS_CONFIG_DIR"
FILE_NAME = "targets.json"
KEYRING_SERVICE = "authclients-playground"
MAX_TARGETS = 100
MAX_FILE = 256 * 1024
MAX_NAME = 60


def config_dir() -> Path:
    """``$AUTHCLIENTS_CONFIG_DIR``, else the platform's config folder for authclients."""
    return Path(os.environ.get(CONFIG_DIR_ENV) or user_config_dir("authclients"))


class SavedTargetError(ValueError):
    """A target that cannot be saved as given; the message says which field and why."""


@dataclass(frozen=True)
class SavedTarget:
    """A server and the client used with it; no secret."""

    name: str
    issuer: str
    client_id: str
    auth_method: str = BASIC
    scope: str = ""
    redirect_uri: str = ""

    def check(self) -> None:
        """Raises ``SavedTargetError`` for a value the playground could not use again."""
        if not self.name.strip() or len(self.name) > MAX_NAME:
            raise SavedTargetError(f"Name: give 1 to {MAX_NAME} characters.")
        if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in self.name + self.issuer):
            raise SavedTargetError("Control characters are not allowed.")
        if not self.issuer.startswith(("http://", "https://")):
            raise SavedTargetError("Issuer: give an http(s) URL.")
        if not self.client_id.strip():
            raise SavedTargetError("Client id: give the id the server knows the client by.")
        if self.auth_method not in AUTH_METHODS:
            raise SavedTargetError(f"Auth method: one of {', '.join(AUTH_METHODS)}.")


class SecretStore(Protocol):
    """Where a target's client secret lives between runs."""

    def get(self, name: str) -> str: ...
    def set(self, name: str, secret: str) -> None: ...
    def delete(self, name: str) -> None: ...


class KeyringSecrets:
    """The OS keyring, when the ``keyring`` package is installed and has a real backend."""

    def __init__(self) -> None:
        try:
            import keyring
            from keyring.backends import fail
        except ImportError:
            self._keyring = None
            return
        backend = keyring.get_keyring()
        usable = not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 0) > 0
        self._keyring = keyring if usable else None

    @property
    def available(self) -> bool:
        return self._keyring is not None

    def get(self, name: str) -> str:
        if self._keyring is None:
            return ""
        with contextlib.suppress(Exception):  # a locked or broken keyring: ask, as without one
            return self._keyring.get_password(KEYRING_SERVICE, name) or ""
        return ""

    def set(self, name: str, secret: str) -> None:
        if self._keyring is not None:
            self._keyring.set_password(KEYRING_SERVICE, name, secret)

    def delete(self, name: str) -> None:
        if self._keyring is not None:
            with contextlib.suppress(Exception):  # nothing kept under that name
                self._keyring.delete_password(KEYRING_SERVICE, name)


class SavedTargets:
    """The saved targets in ``folder`` and their secrets in ``secrets``."""

    def __init__(self, folder: Path | None = None, secrets: SecretStore | None = None) -> None:
        self.path = (folder or config_dir()) / FILE_NAME
        self.secrets = secrets if secrets is not None else KeyringSecrets()
        self.problem = ""
        """Why the file was ignored when it was (damaged, too large), for a notice."""

    @property
    def keeps_secrets(self) -> bool:
        return bool(getattr(self.secrets, "available", True))

    def list(self) -> list[SavedTarget]:
        """Every saved target by name; a damaged file reads as none, ``problem`` says why."""
        self.problem = ""
        try:
            with self.path.open("rb") as file:
                raw = file.read(MAX_FILE + 1)
        except FileNotFoundError:
            return []
        except OSError as exc:
            self.problem = f"{self.path} could not be read: {exc.strerror}."
            return []
        if len(raw) > MAX_FILE:
            self.problem = f"{self.path} is larger than {MAX_FILE // 1024} KiB: ignored."
            return []
        try:
            items = json.loads(raw)["targets"]
            targets = [SavedTarget(**{k: str(v) for k, v in item.items()}) for item in items]
            for target in targets:
                target.check()
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            # RecursionError: ``[[[[…`` nested deeper than Python's stack, a hostile file.
            self.problem = f"{self.path} is damaged ({exc}): ignored."
            return []
        return sorted(targets, key=lambda t: t.name.lower())[:MAX_TARGETS]

    def get(self, name: str) -> SavedTarget | None:
        return next((t for t in self.list() if t.name == name), None)

    def save(self, target: SavedTarget, secret: str = "") -> bool:
        """Add or replace ``target`` (by name); returns whether its secret was kept.

        Raises:
            SavedTargetError: a field the playground could not use again, or too many.
        """
        target.check()
        others = [t for t in self.list() if t.name != target.name]
        if len(others) >= MAX_TARGETS:
            raise SavedTargetError(f"At most {MAX_TARGETS} saved targets: delete one first.")
        self._write([*others, target])
        if secret and self.keeps_secrets:
            try:
                self.secrets.set(target.name, secret)
                return True
            except Exception as exc:  # a locked keyring, D-Bus gone: any backend's error
                # The target is saved; its secret is asked each run, as with no keyring.
                self.problem = f"The OS keyring refused the secret ({exc}): asked each run."
        self.secrets.delete(target.name)
        return False

    def delete(self, name: str) -> None:
        self._write([t for t in self.list() if t.name != name])
        self.secrets.delete(name)

    def secret(self, name: str) -> str:
        return self.secrets.get(name)

    def _write(self, targets: list[SavedTarget]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = json.dumps({"targets": [asdict(t) for t in targets]}, indent=2)
        with _replacing(self.path) as file:
            file.write(data.encode("utf-8"))


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[object]:
    """Write to a temporary file beside ``path`` (0600), then rename it over ``path``."""
    fd, temporary = tempfile.mkstemp(prefix=".targets-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
