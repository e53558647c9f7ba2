"""Opening the database safely: no symlink followed, a corrupted file in one line, the
PostgreSQL driver as an extra, MySQL refused by name."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from authclients.store import Store, StoreError
from authclients.store.clock import ManualClock
from authclients.store.db import MYSQL_REFUSED, NO_POSTGRESQL_DRIVER
from authclients.store.models import database

REPO = Path(__file__).resolve().parents[2]
AUTHCLIENTS = Path(sys.executable).with_name("authclients")


def open_error(target: str) -> str:
    with pytest.raises(StoreError) as caught:
        Store.open(target, clock=ManualClock())
    if database.obj is not None:
        database.close()
    message = str(caught.value)
    assert "\n" not in message
    return message


# -- symbolic links ---------------------------------------------------------------------


def test_a_symlink_to_a_file_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "someone-elses.txt"
    target.write_text("not mine")
    os.chmod(target, 0o644)
    link = tmp_path / "authclients.db"
    link.symlink_to(target)
    message = open_error(str(link))
    assert "symbolic link" in message and str(link) in message
    assert (target.stat().st_mode & 0o777) == 0o644
    assert target.read_text() == "not mine"


def test_a_dangling_symlink_is_refused_and_nothing_created(tmp_path: Path) -> None:
    link = tmp_path / "authclients.db"
    link.symlink_to(tmp_path / "elsewhere.db")
    assert "symbolic link" in open_error(str(link))
    assert not (tmp_path / "elsewhere.db").exists()


def test_a_symlinked_wal_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Store.open(str(path), clock=ManualClock()).close()
    wal = path.with_name("a.db-wal")
    wal.unlink(missing_ok=True)
    victim = tmp_path / "victim"
    victim.write_text("x")
    os.chmod(victim, 0o644)
    wal.symlink_to(victim)
    assert "a.db-wal is a symbolic link" in open_error(str(path))
    assert (victim.stat().st_mode & 0o777) == 0o644


def test_a_symlinked_folder_above_is_the_admins_layout(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    opened = Store.open(str(tmp_path / "alias" / "a.db"), clock=ManualClock())
    opened.close()
    assert (real / "a.db").exists()


def test_a_folder_at_the_path_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.db").mkdir()
    message = open_error(str(tmp_path / "a.db"))
    assert "a.db" in message


# -- corrupted files ---------------------------------------------------------------------


def corrupt_files(folder: Path) -> dict[str, Path]:
    random_bytes = folder / "random.db"
    random_bytes.write_bytes(os.urandom(8192))
    text = folder / "notes.db"
    text.write_text("shopping list\n" * 100)
    good = folder / "good.db"
    store = Store.open(str(good), clock=ManualClock())
    for n in range(200):
        store.clients.create(f"client {n} " + "x" * 200, password=True)
    store.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    truncated = folder / "truncated.db"
    data = good.read_bytes()
    truncated.write_bytes(data[: len(data) // 3])
    return {"random": random_bytes, "text": text, "truncated": truncated}


def test_a_corrupted_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    for kind, path in corrupt_files(tmp_path).items():
        message = open_error(str(path))
        assert message.startswith(f"{path} is not an authclients database: "), kind
        assert "not a database" in message or "malformed" in message, kind


def test_the_cli_says_it_in_one_line(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(os.urandom(4096))
    env = {k: v for k, v in os.environ.items() if k != "AUTHCLIENTS_DB"}
    done = subprocess.run(
        [str(AUTHCLIENTS), "--db", str(corrupt), "clients", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "is not an authclients database: file is not a database" in lines[0]


# -- drivers ------------------------------------------------------------------------------

NO_DRIVER = textwrap.dedent(
    """
    import sys
    sys.modules["psycopg2"] = None  # as if the postgresql extra were not installed
    from authclients.store import Store, StoreError
    try:
        Store.open("postgresql://admin@127.0.0.1:1/auth")
    except StoreError as exc:
        print(exc)
    """
)


def test_postgresql_without_its_driver_names_the_extra() -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_DRIVER], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == NO_POSTGRESQL_DRIVER
    assert NO_POSTGRESQL_DRIVER == (
        "PostgreSQL needs its driver: pip install 'authclients[postgresql]'"
    )


@pytest.mark.parametrize(
    "url", ["mysql://root@127.0.0.1/auth", "mysql+pool://root@db/auth", "MYSQL://x@y/z"]
)
def test_mysql_is_refused_by_name(url: str) -> None:
    assert open_error(url) == MYSQL_REFUSED
    assert MYSQL_REFUSED == "MySQL is not supported: use a SQLite path or a postgresql:// URL"


def test_the_test_extra_brings_the_postgresql_driver() -> None:
    import psycopg2  # installed by pip install -e '.[test]', through authclients[postgresql]

    assert psycopg2.__version__
