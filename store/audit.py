"""The audit log of admin actions: who, what, which object; never a secret."""

from __future__ import annotations

from authclients.store.context import StoreContext
from authclients.store.models import AuditEvent
from authclients.store.records import AuditEntry


class AuditLog:
    def __init__(self, store: StoreContext) -> None:
        self._store = store

    def record(
        self, action: str, object_type: str, object_id: object = "", detail: str = ""
    ) -> None:
        """Write one event; call inside the transaction of the action it describes."""
        AuditEvent.create(
            at=self._store.clock.now(),
            actor=self._store.actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            detail=detail,
        )

    def recent(self, limit: int = 100) -> list[AuditEntry]:
        rows = AuditEvent.select().order_by(AuditEvent.id.desc()).limit(limit)
        return [
            AuditEntry(r.id, r.at, r.actor, r.action, r.object_type, r.object_id, r.detail)
            for r in rows
        ]
