"""The built wheel installs one namespace, ``authclients``, and nothing generic."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding only the wheel; dependencies come from ours."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = work.glob("authclients-*.whl")
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    # The wheel's dependencies are read from this test run's environment, whose own
    # editable install of authclients is not activated there (its .pth is not processed).
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env_dir


def _python(env_dir: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [env_dir / "bin" / "python", "-c", code],
        capture_output=True,
        text=True,
        cwd=env_dir,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )


@pytest.mark.parametrize("generic", ["store", "tui"])
def test_generic_top_level_names_are_not_installed(installed: Path, generic: str) -> None:
    result = _python(installed, f"import {generic}")
    assert result.returncode != 0
    assert f"No module named '{generic}'" in result.stderr


def test_the_namespace_imports_from_the_wheel(installed: Path) -> None:
    result = _python(
        installed,
        "import authclients.store, authclients.tui.app, authclients.tui.cli.main as cli;"
        "print(authclients.store.__file__)",
    )
    assert result.returncode == 0, result.stderr
    assert str(installed) in result.stdout


def test_styles_ship_in_the_wheel(installed: Path) -> None:
    result = _python(
        installed,
        "import pathlib, authclients.tui as t; "
        "print(sorted(p.name for p in pathlib.Path(t.__file__).parent.rglob('*.tcss')))",
    )
    assert result.returncode == 0, result.stderr
    assert "app.tcss" in result.stdout


def test_version_from_the_console_script(installed: Path) -> None:
    result = subprocess.run(
        [installed / "bin" / "authclients", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"authclients {metadata.version('authclients')}"
