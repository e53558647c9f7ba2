"""``authclients screenshots``: every screen as SVG, from fixed demo data."""

from __future__ import annotations

import argparse

from authclients.tui.cli.output import error, say
from authclients.tui.cli.parser import Commands, examples


def register(commands: Commands) -> None:
    """Add ``screenshots``: no --db, it makes its own throw-away databases."""
    shots = commands.top.add_parser(
        "screenshots",
        help="Render every screen as SVG from fixed demo data (the README's pictures).",
        description="Render every screen as SVG from fixed demo data (the README's pictures). "
        "Same code, same pictures: re-running it changes no file unless a screen changed.",
        epilog=examples("authclients screenshots", "authclients screenshots /tmp/shots"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    shots.add_argument(
        "dir",
        nargs="?",
        default="screenshots",
        metavar="DIR",
        help="folder to write the SVG files to (default screenshots/)",
    )


def run(args: argparse.Namespace) -> int:
    """Write the SVG files, one line per file written."""
    # Imported here: the admin commands must not pay for loading Textual.
    from authclients.tui.screenshots import SceneFailed, render_all

    try:
        written = render_all(args.dir)
    except OSError as exc:
        return error(f"cannot write screenshots to {args.dir}: {exc.strerror or exc}", 1)
    except SceneFailed as exc:
        return error(str(exc), 1)
    say(*(str(path) for path in written))
    return 0
