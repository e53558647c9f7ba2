"""``authclients screenshots``: every screen written, the same bytes on a re-run."""

from __future__ import annotations

from pathlib import Path

import pytest

from authclients.store import crypto
from authclients.tui import screenshots
from authclients.tui.cli.main import main

ROOT = Path(__file__).resolve().parents[2]

EXPECTED_TEXT = {
    "clients": "Demo web app",
    "client-form-errors": "Enable at least one grant type",
    "secret-reveal": "shown only this once",
    "demo-welcome": "Demo mode",
    "users": "alice",
    "tokens": "laptop",
    "help-keys": "This screen (Clients)",
    "help-grants": "Authorization code",
    "playground-password": "200 OK",
    "playground-client-credentials": "200 OK",
    "playground-authorization-code": "code exchange",
    "playground-refresh": "refresh",
    "playground-personal-access": "personal",
    "scopes": "billing",
    "playground-device": "or scan the QR code",
    "devices": "3 devices waiting",
}
"""A phrase each picture must show, so a scene that lands on the wrong screen fails."""


def _svg_text(svg: str) -> str:
    # Textual's SVG writes spaces as &#160; inside <text> elements.
    return svg.replace("&#160;", " ")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shots")
    assert main(["screenshots", str(folder)]) == 0
    return folder


def test_every_screen_is_written(rendered: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert set(EXPECTED_TEXT) == set(screenshots.SCENES)
    for name, phrase in EXPECTED_TEXT.items():
        svg = (rendered / f"{name}.svg").read_text(encoding="utf-8")
        assert svg.startswith("<svg"), name
        assert phrase in _svg_text(svg), f"{name}.svg does not show {phrase!r}"
    written = sorted(p.name for p in rendered.iterdir())
    assert written == sorted(f"{name}.svg" for name in screenshots.SCENES)


def test_a_rerun_gives_the_same_bytes(rendered: Path, tmp_path: Path) -> None:
    # A screen of the store and one of the playground, which talks to a real endpoint on a
    # new port each run; the rest are made the same way.
    names = ["tokens", "playground-password"]
    screenshots.render_all(tmp_path, names)
    for name in names:
        assert (tmp_path / f"{name}.svg").read_bytes() == (rendered / f"{name}.svg").read_bytes()


def test_fixed_secrets_only_inside_the_block() -> None:
    with crypto.deterministic_secrets("seed"):
        first = [crypto.new_secret(), crypto.new_secret()]
    with crypto.deterministic_secrets("seed"):
        again = [crypto.new_secret(), crypto.new_secret()]
    assert first == again and first[0] != first[1] and len(first[0]) == 43
    # Outside, the random source is back.
    assert crypto.new_secret() not in first and crypto.new_secret() != crypto.new_secret()


def test_the_committed_screenshots_are_every_scene_and_current(rendered: Path) -> None:
    committed = {p.stem for p in (ROOT / "screenshots").glob("*.svg")}
    assert committed == set(screenshots.SCENES)
    stale = [
        name
        for name in screenshots.SCENES
        if (ROOT / "screenshots" / f"{name}.svg").read_bytes()
        != (rendered / f"{name}.svg").read_bytes()
    ]
    assert not stale, (
        f"screens changed since screenshots/ was made ({', '.join(stale)}): run "
        "`authclients screenshots` and commit screenshots/"
    )
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in screenshots.SCENES:
        assert f"screenshots/{name}.svg" in readme, f"README.md does not show {name}.svg"
