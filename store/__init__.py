"""Persistence and the OAuth 2.0 domain of authclients; knows nothing of Textual."""

from authclients.store.errors import NotFound, StaleEdit, StoreError, ValidationError
from authclients.store.service import Store

__all__ = ["NotFound", "StaleEdit", "Store", "StoreError", "ValidationError"]
