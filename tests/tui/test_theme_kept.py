"""Issue 16: the theme chosen from the palette is kept between runs in a small config file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from authclients.tui.preferences import CONFIG_DIR_ENV, FILE_NAME, Preferences, PreferencesFile
from tests.tui.conftest import notifications, settle, type_text


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(folder))
    return folder


async def test_theme_chosen_in_the_palette_is_used_on_the_next_run(make_app, config_dir):
    prefs = PreferencesFile.default()
    assert prefs.path == config_dir / FILE_NAME
    app = make_app(preferences=prefs)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        default = app.theme
        assert default != "nord"
        # The palette's "Change theme", then the theme list, with keys only.
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "theme")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        await type_text(pilot, "nord")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.8)
        assert app.theme == "nord"
    assert json.loads(prefs.path.read_text()) == {"theme": "nord"}
    # No temporary file left beside it (written atomically, by rename).
    assert sorted(p.name for p in config_dir.iterdir()) == [FILE_NAME]

    again = make_app(preferences=PreferencesFile.default())
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert again.theme == "nord"


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"theme": 7}',
        b'{"theme": "nord\\u001b[2J"}',
        b'{"theme": "' + b"x" * 20000 + b'"}',
    ],
    ids=["broken", "not-utf8", "list", "number", "escape", "huge"],
)
async def test_a_bad_file_is_ignored_with_a_notice(make_app, config_dir, content):
    config_dir.mkdir()
    (config_dir / FILE_NAME).write_bytes(content)
    app = make_app(preferences=PreferencesFile.default())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        said = notifications(app)
        assert any(FILE_NAME in n and "Ignored" in n for n in said), said
        assert not any("\x1b" in n for n in said)
        # The next choice replaces the bad file.
        app.theme = "gruvbox"
        await pilot.pause(0.8)
    assert json.loads((config_dir / FILE_NAME).read_text()) == {"theme": "gruvbox"}


async def test_an_unknown_theme_name_falls_back_with_a_notice(make_app, config_dir):
    PreferencesFile.default().save(Preferences(theme="no-such-theme"))
    app = make_app(preferences=PreferencesFile.default())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        assert any("no-such-theme" in n for n in notifications(app))


async def test_an_unwritable_folder_is_said_not_fatal(make_app, config_dir):
    # A file where the folder should be: no folder can be made there, even by root.
    config_dir.write_text("in the way")
    app = make_app(preferences=PreferencesFile.default())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        app.theme = "nord"
        await pilot.pause(0.8)
        assert app.theme == "nord"
        assert any("not kept" in n for n in notifications(app))


def test_save_replaces_atomically_and_a_failed_write_leaves_the_old_file(
    config_dir, monkeypatch: pytest.MonkeyPatch
):
    prefs = PreferencesFile.default()
    prefs.save(Preferences(theme="nord"))

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        prefs.save(Preferences(theme="gruvbox"))
    assert prefs.load() == (Preferences(theme="nord"), "")
    assert sorted(p.name for p in config_dir.iterdir()) == [FILE_NAME]


async def test_apps_without_preferences_write_nothing(make_app, config_dir):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.theme = "nord"
        await pilot.pause(0.8)
    assert not config_dir.exists()
