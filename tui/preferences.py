"""The console's own preferences (the theme), kept between runs in a small JSON file.

As posting and harlequin do: the theme picked from the command palette is
written to ``console.json`` under the platform's config folder
(``$AUTHCLIENTS_CONFIG_DIR`` overrides it), atomically, and read at start. A
file that cannot be read as preferences is ignored with a notice, never fatal.
Data that matters to every process (token lifetimes) lives in the database,
not here: this file is one admin's taste.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_dir

from authclients.tui.safe_text import printable

CONFIG_DIR_ENV = "AUTHCLIENTS_CONFIG_DIR"
"""Where the preferences live instead of the platform's config folder (tests set it)."""
FILE_NAME = "console.json"
MAX_BYTES = 16 * 1024
"""Larger is not ours: a theme name takes a few dozen bytes."""
MAX_THEME_NAME = 64


@dataclass(frozen=True)
class Preferences:
    """What the console remembers; None: not chosen, Textual's default."""

    theme: str | None = None


class PreferencesFile:
    """Reads and writes ``Preferences`` at one path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def default(cls) -> PreferencesFile:
        """``$AUTHCLIENTS_CONFIG_DIR/console.json``, else the platform's config folder's."""
        folder = os.environ.get(CONFIG_DIR_ENV) or user_config_dir("authclients")
        return cls(Path(folder) / FILE_NAME)

    def load(self) -> tuple[Preferences, str]:
        """The preferences, and why the file was ignored ("" when it was not).

        A missing file is no problem: nothing was chosen yet.
        """
        try:
            with self.path.open("rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
        except FileNotFoundError:
            return Preferences(), ""
        except OSError as exc:
            return Preferences(), f"cannot read it ({exc.strerror or exc})"
        if len(raw) > MAX_BYTES:
            return Preferences(), f"larger than {MAX_BYTES} bytes"
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return Preferences(), "not JSON"
        if not isinstance(data, dict):
            return Preferences(), "not a JSON object"
        theme = data.get("theme")
        if theme is None:
            return Preferences(), ""
        if (
            not isinstance(theme, str)
            or not theme
            or len(theme) > MAX_THEME_NAME
            or printable(theme) != theme
        ):
            return Preferences(), "its theme is not a theme name"
        return Preferences(theme=theme), ""

    def save(self, preferences: Preferences) -> None:
        """Write atomically: a crash leaves the old file or the new one, never half of one.

        Raises:
            OSError: the folder cannot be made or written.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = json.dumps({"theme": preferences.theme}, indent=2) + "\n"
        fd, temporary = tempfile.mkstemp(
            prefix=".console-", suffix=".tmp", dir=self.path.parent, text=True
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
