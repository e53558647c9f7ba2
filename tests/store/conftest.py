"""Helpers for the store tests: ready-made clients and users over the ``store`` fixture."""

from __future__ import annotations

import pytest

from authclients.store import Store
from authclients.store.records import ClientInfo, CreatedClient, UserInfo
from tests.backends import BACKENDS

PASSWORD = "correct horse battery"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every store test that opens a store runs on SQLite and on PostgreSQL."""
    return request.param


@pytest.fixture
def web_client(store: Store) -> CreatedClient:
    """A confidential client with every grant a confidential client may have."""
    return store.clients.create(
        "Web app",
        ["https://app.example.com/callback"],
        authorization_code=True,
        password=True,
        personal_access=True,
        client_credentials=True,
    )


@pytest.fixture
def client(web_client: CreatedClient) -> ClientInfo:
    return web_client.client


@pytest.fixture
def alice(store: Store) -> UserInfo:
    return store.users.add("alice", PASSWORD)
