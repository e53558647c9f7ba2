"""The scopes the server knows (Passport's ``tokensCan``): list, add, delete, check."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import peewee as pw

from authclients.store import validation
from authclients.store.errors import NotFound, ValidationError
from authclients.store.models import Client, Scope
from authclients.store.records import ScopeInfo

if TYPE_CHECKING:
    from authclients.store.context import StoreContext


class Scopes:
    """A token or authorization request may name only scopes defined here.

    A client with an empty scope list may ask for any *defined* scope; one
    with a list, only those (each of which is defined, see ``ensure``).
    """

    def __init__(self, store: StoreContext) -> None:
        self._store = store

    def list(self) -> list[ScopeInfo]:
        """Every defined scope by name, with the live clients that list it."""
        users: dict[str, list[int]] = {}
        query = Client.select(Client.id, Client.scopes).where(
            (Client.revoked == False) & (Client.scopes != "")
        )
        for client_id, scopes in query.tuples():
            for name in scopes.split():
                users.setdefault(name, []).append(client_id)
        return [
            self._info(row, users.get(row.name, ())) for row in Scope.select().order_by(Scope.name)
        ]

    def get(self, name: str) -> ScopeInfo:
        row = Scope.get_or_none(Scope.name == (name or "").strip())
        if row is None:
            raise NotFound("scope", name)
        return self._info(row, self._clients_listing(row.name))

    def add(self, name: str, description: str = "") -> ScopeInfo:
        """Define a scope; refused if the name is taken or not a scope-token."""
        errors: dict[str, str] = {}
        name, error = validation.clean_scope_name(name)
        if error:
            errors["name"] = error
        description, error = validation.clean_description(description)
        if error:
            errors["description"] = error
        if errors:
            raise ValidationError(errors)
        try:
            with self._store.atomic():
                row = Scope.create(
                    name=name, description=description, created_at=self._store.clock.now()
                )
                self._store.audit.record("scope.add", "scope", row.id, f"name={name!r}")
        except pw.IntegrityError:
            raise ValidationError.single("name", f"Scope {name!r} is already defined.") from None
        return self._info(row, ())

    def delete(self, name: str) -> None:
        """Forget a scope; refused while a live client lists it.

        Tokens already issued with it keep it until they expire or are
        revoked: deleting a scope stops new grants, it does not end access.
        """
        with self._store.atomic():
            row = Scope.get_or_none(Scope.name == (name or "").strip())
            if row is None:
                raise NotFound("scope", name)
            listing = self._clients_listing(row.name)
            if listing:
                ids = ", ".join(str(i) for i in listing[:10])
                more = f" and {len(listing) - 10} more" if len(listing) > 10 else ""
                raise ValidationError.single(
                    "name",
                    f"Scope {row.name!r} is listed by client{'s' if len(listing) > 1 else ''} "
                    f"{ids}{more}: remove it from them first.",
                )
            row.delete_instance()
            self._store.audit.record("scope.delete", "scope", row.id, f"name={row.name!r}")

    def defined(self, names: Iterable[str]) -> set[str]:
        """Which of ``names`` are defined (one indexed query)."""
        return defined(names)

    def undefined(self, names: Iterable[str]) -> list[str]:
        """The names nobody defined, in the order given: non-empty means ``invalid_scope``."""
        return undefined(names)

    def ensure(self, names: Iterable[str]) -> tuple[str, ...]:
        """Define each of ``names`` not yet defined; returns those added, in order.

        For ``clients create|update --scopes``: scripts written before scopes
        had to be defined keep working, and are told what was defined. Runs
        inside the caller's transaction; the names are already validated.
        """
        now = self._store.clock.now()
        added: list[str] = []
        for name in self.undefined(names):
            try:
                with self._store.atomic():  # a savepoint: losing a race is not an error
                    Scope.create(name=name, description="", created_at=now)
                added.append(name)
            except pw.IntegrityError:
                continue  # another process defined it just now
        if added:
            self._store.audit.record("scope.add", "scope", "", f"names={' '.join(added)!r}")
        return tuple(added)

    def _clients_listing(self, name: str) -> list[int]:
        query = (
            Client.select(Client.id, Client.scopes)
            .where((Client.revoked == False) & Client.scopes.contains(name))
            .order_by(Client.id)
        )
        return [cid for cid, scopes in query.tuples() if name in scopes.split()]

    @staticmethod
    def _info(row: Scope, clients: Iterable[int]) -> ScopeInfo:
        return ScopeInfo(
            name=row.name,
            description=row.description,
            created_at=row.created_at,
            clients=tuple(clients),
        )


# The Scope model is bound to the process's one database (``models.database``), so
# the OAuth layer's scope checks ask these without holding a ``Store``.


def defined(names: Iterable[str]) -> set[str]:
    """Which of ``names`` are defined scopes (one indexed query)."""
    wanted = {n for n in names if n}
    if not wanted:
        return set()
    # Plain SQL with bind parameters, not a Peewee query: this runs for every token
    # request, and building the query cost ~10 times running it (a fifth of the
    # loop's time for client_credentials, measured with py-spy).
    db = Scope._meta.database
    marks = ", ".join([db.param] * len(wanted))
    table = Scope._meta.table_name
    cursor = db.execute_sql(f'SELECT name FROM "{table}" WHERE name IN ({marks})', sorted(wanted))
    try:
        return {name for (name,) in cursor.fetchall()}
    finally:
        cursor.close()


def undefined(names: Iterable[str]) -> list[str]:
    """The names nobody defined, in the order given, each once."""
    names = [n for n in names if n]
    known = defined(names)
    out: list[str] = []
    for name in names:
        if name not in known and name not in out:
            out.append(name)
    return out
