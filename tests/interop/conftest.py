"""node oidc-provider, a server nobody here wrote, for the playground client's interop tests.

Installed with ``npm ci`` into ``tests/interop/oidc_provider/node_modules`` on first
use (as ``.ci/run`` installs PostgreSQL), started on a free port under a
Keycloak-style issuer path, stopped after the module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from authclients.store.oauth_client import generate_key_pair

HERE = Path(__file__).parent / "oidc_provider"
REQUIRE = "AUTHCLIENTS_TEST_INTEROP"
"""Set to ``required`` to fail instead of skipping when node or npm is missing."""


@dataclass(frozen=True)
class Reference:
    issuer: str
    secret: str
    key_file: Path
    """The private key whose public half the ``keyjwt`` client is registered with."""


def _missing(reason: str) -> None:
    if os.environ.get(REQUIRE) == "required":
        pytest.fail(f"{REQUIRE}=required, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        _missing("node and npm are needed for the oidc-provider interop tests")
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            _missing(f"npm ci failed: {done.stderr.strip()[-300:]}")
    key = generate_key_pair("ES256")
    key_file = tmp_path_factory.mktemp("interop") / "client-key.pem"
    key_file.write_bytes(key.as_pem(private=True))
    key_file.chmod(0o600)
    jwks = json.dumps({"keys": [key.as_dict(private=False)]})
    process = subprocess.Popen(
        [node, "server.mjs", "0", jwks],
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line:
            error = process.stderr.read() if process.stderr else ""
            pytest.fail(f"oidc-provider did not start: {error[-500:]}")
        started = json.loads(line)
        yield Reference(started["issuer"], started["secret"], key_file)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
