"""Persistence and the OAuth 2.0 domain of authclients; knows nothing of Textual."""

from authclients.store.errors import NotFound, StoreError, ValidationError
from authclients.store.service import Store

__all__ = ["NotFound", "Store", "StoreError", "ValidationError"]
