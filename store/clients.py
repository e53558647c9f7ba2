"""Client applications: create, list, update, delete, rotate secret, authenticate."""

from __future__ import annotations

from collections.abc import Iterable

import peewee as pw

from authclients.store import crypto, validation
from authclients.store.context import StoreContext
from authclients.store.errors import NotFound, ValidationError
from authclients.store.models import AccessToken, AuthCode, Client
from authclients.store.records import ClientInfo, ClientPage, CreatedClient

SORT_KEYS = (
    "id",
    "name",
    "grants",
    "redirect_uris",
    "secret_hint",
    "active_tokens",
    "created_at",
    "updated_at",
)
MAX_PAGE = 1000

_UNSET = object()


class Clients:
    def __init__(self, store: StoreContext) -> None:
        self._store = store

    # -- reading -----------------------------------------------------------

    def get(self, client_id: int) -> ClientInfo:
        """The client, or ``NotFound`` if it never existed or was deleted."""
        row = self._row(client_id)
        return self._info(row, self._active_counts([row.id]).get(row.id, 0))

    def list(
        self,
        filter: str = "",
        *,
        sort: str = "id",
        descending: bool = False,
        offset: int = 0,
        limit: int = 50,
    ) -> ClientPage:
        """One page of clients whose name contains ``filter`` or whose id is it.

        Only the page is read, and the active-token counts only for its rows,
        so this stays fast at 100,000 clients.
        """
        if sort not in SORT_KEYS:
            raise ValidationError.single("sort", f"Sort by one of: {', '.join(SORT_KEYS)}.")
        offset = max(0, int(offset))
        limit = min(max(1, int(limit)), MAX_PAGE)
        query = Client.select().where(Client.revoked == False)
        text = (filter or "").strip()
        if text:
            condition = Client.name.contains(text)
            if text.isdigit() and len(text) < 19:
                condition |= Client.id == int(text)
            query = query.where(condition)
        order = self._order(sort)
        order = [pw.Desc(o) if descending else pw.Asc(o) for o in order]
        tiebreak = Client.id.desc() if descending else Client.id.asc()
        # Order and page on ids alone (often from an index), then read just those rows.
        page_ids = [
            row_id
            for (row_id,) in query.select(Client.id)
            .order_by(*order, tiebreak)
            .offset(offset)
            .limit(limit)
            .tuples()
        ]
        by_id = {row.id: row for row in Client.select().where(Client.id.in_(page_ids))}
        rows = [by_id[row_id] for row_id in page_ids if row_id in by_id]
        # A short page is the last one: the total is known without a second scan.
        short_page = len(rows) < limit and (bool(rows) or offset == 0)
        total = offset + len(rows) if short_page else query.count()
        counts = self._active_counts([r.id for r in rows])
        items = [self._info(r, counts.get(r.id, 0)) for r in rows]
        return ClientPage(items=items, total=total, offset=offset, limit=limit)

    def count(self) -> int:
        return Client.select().where(Client.revoked == False).count()

    def change_stamp(self) -> tuple[int, int]:
        """A value that changes whenever any process creates, edits or deletes a client.

        (largest id, latest ``updated_at``): both come from an index, so polling
        it every second or two costs next to nothing even at 100,000 clients.
        Deleting sets ``updated_at`` too, so deletions change it.
        """
        top_id = Client.select(pw.fn.MAX(Client.id)).scalar() or 0
        latest = 0
        for revoked in (False, True):
            # One MAX per value of the (revoked, updated_at) index prefix: an index seek each.
            moment = (
                Client.select(pw.fn.MAX(Client.updated_at).coerce(False))
                .where(Client.revoked == revoked)
                .scalar()
            )
            latest = max(latest, int(moment or 0))
        return top_id, latest

    def live_token_count(self, client_id: int) -> int:
        """How many tokens deleting this client would kill (for the confirmation)."""
        row = self._row(client_id)
        return self._active_counts([row.id]).get(row.id, 0)

    # -- writing -----------------------------------------------------------

    def create(
        self,
        name: str,
        redirect_uris: Iterable[str] = (),
        *,
        authorization_code: bool = False,
        password: bool = False,
        personal_access: bool = False,
        client_credentials: bool = False,
        public: bool = False,
        scopes: Iterable[str] | str = (),
    ) -> CreatedClient:
        """Create a client; a confidential one gets a secret, returned here only."""
        fields = self._validate(
            name=name,
            redirect_uris=redirect_uris,
            authorization_code=authorization_code,
            password=password,
            personal_access=personal_access,
            client_credentials=client_credentials,
            public=public,
            scopes=scopes,
        )
        secret = None if public else crypto.new_secret()
        now = self._store.clock.now()
        with self._store.atomic():
            row = Client.create(
                **fields,
                secret_hash=crypto.digest(secret) if secret else None,
                secret_hint=crypto.hint(secret) if secret else "",
                created_at=now,
                updated_at=now,
            )
            self._store.audit.record("client.create", "client", row.id, _describe(fields))
        return CreatedClient(client=self._info(row, 0), secret=secret)

    def update(
        self,
        client_id: int,
        *,
        name: str | object = _UNSET,
        redirect_uris: Iterable[str] | object = _UNSET,
        authorization_code: bool | object = _UNSET,
        password: bool | object = _UNSET,
        personal_access: bool | object = _UNSET,
        client_credentials: bool | object = _UNSET,
        public: bool | object = _UNSET,
        scopes: Iterable[str] | str | object = _UNSET,
    ) -> ClientInfo:
        """Change what is given; the rules are checked on the result as a whole.

        Making a confidential client public drops its secret; making a public
        client confidential needs a secret: rotate it afterwards.
        """
        given = {
            key: value
            for key, value in {
                "name": name,
                "redirect_uris": redirect_uris,
                "authorization_code": authorization_code,
                "password": password,
                "personal_access": personal_access,
                "client_credentials": client_credentials,
                "public": public,
                "scopes": scopes,
            }.items()
            if value is not _UNSET
        }
        with self._store.atomic():
            row = self._row(client_id)
            current = self._info(row)
            merged = {
                "name": current.name,
                "redirect_uris": current.redirect_uris,
                "authorization_code": current.authorization_code,
                "password": current.password,
                "personal_access": current.personal_access,
                "client_credentials": current.client_credentials,
                "public": current.public,
                "scopes": current.scopes,
                **given,
            }
            fields = self._validate(**merged)
            changed = [k for k, v in fields.items() if getattr(row, k) != v]
            for key, value in fields.items():
                setattr(row, key, value)
            if fields["public"] and row.secret_hash:
                row.secret_hash = None
                row.secret_hint = ""
            row.updated_at = self._store.clock.now()
            row.save()
            self._store.audit.record(
                "client.update", "client", row.id, "changed: " + (", ".join(changed) or "nothing")
            )
        return self.get(row.id)

    def delete(self, client_id: int) -> int:
        """Delete the client: every token and code it holds dies in the same transaction.

        The row is kept, marked revoked, so its tokens keep their history and
        its id is never reused. Returns how many live access tokens were revoked.
        """
        now = self._store.clock.now()
        with self._store.atomic():
            row = self._row(client_id)
            revoked = self._store.tokens.revoke_all_of_client(row.id, _audit=False)
            AuthCode.update(revoked=True).where(
                (AuthCode.client == row.id) & (AuthCode.revoked == False)
            ).execute()
            row.revoked = True
            row.secret_hash = None
            row.updated_at = now
            row.save()
            self._store.audit.record(
                "client.delete", "client", row.id, f"name={row.name!r}; revoked {revoked} tokens"
            )
        return revoked

    def rotate_secret(self, client_id: int) -> CreatedClient:
        """A new secret; the old one stops authenticating at once. Tokens live on."""
        with self._store.atomic():
            row = self._row(client_id)
            if row.public:
                raise ValidationError.single(
                    "public", "A public client has no secret to rotate; make it confidential first."
                )
            secret = crypto.new_secret()
            row.secret_hash = crypto.digest(secret)
            row.secret_hint = crypto.hint(secret)
            row.updated_at = self._store.clock.now()
            row.save()
            self._store.audit.record("client.rotate_secret", "client", row.id)
        return CreatedClient(client=self.get(row.id), secret=secret)

    # -- for the endpoint --------------------------------------------------

    def find_active(self, client_id: object) -> ClientInfo | None:
        """The client for a presented ``client_id``, or None if unknown or deleted."""
        row = self._active_row(client_id)
        return self._info(row) if row else None

    def authenticate(self, client_id: object, secret: str | None) -> ClientInfo | None:
        """The client if ``secret`` is its secret (constant time); None otherwise.

        A public client authenticates with its id alone and must present no secret.
        """
        row = self._active_row(client_id)
        if row is None:
            crypto.matches_digest(secret or "", None)
            return None
        if row.public:
            return self._info(row) if not secret else None
        if not secret or not crypto.matches_digest(secret, row.secret_hash):
            return None
        return self._info(row)

    # -- internals ---------------------------------------------------------

    def _active_row(self, client_id: object) -> Client | None:
        try:
            key = int(str(client_id))
        except ValueError:
            return None
        if key <= 0 or key > 2**62:
            return None
        return Client.get_or_none((Client.id == key) & (Client.revoked == False))

    def _row(self, client_id: int) -> Client:
        row = self._active_row(client_id)
        if row is None:
            raise NotFound("client", client_id)
        return row

    def _validate(
        self,
        *,
        name: str,
        redirect_uris: Iterable[str],
        authorization_code: bool,
        password: bool,
        personal_access: bool,
        client_credentials: bool,
        public: bool,
        scopes: Iterable[str] | str,
    ) -> dict[str, object]:
        errors: dict[str, str] = {}
        name, error = validation.clean_name(name)
        if error:
            errors["name"] = error
        if isinstance(redirect_uris, str):
            redirect_uris = validation.split_lines(redirect_uris)
        uris, error = validation.clean_redirect_uris(redirect_uris)
        if error:
            errors["redirect_uris"] = error
        scope_list, error = validation.clean_scopes(scopes)
        if error:
            errors["scopes"] = error
        flags = {
            "authorization_code": bool(authorization_code),
            "password": bool(password),
            "personal_access": bool(personal_access),
            "client_credentials": bool(client_credentials),
            "public": bool(public),
        }
        for key, message in validation.check_grants(**flags, redirect_uris=uris).items():
            errors.setdefault(key, message)
        if errors:
            raise ValidationError(errors)
        return {
            "name": name,
            "redirect_uris": "\n".join(uris),
            "scopes": " ".join(scope_list),
            "grant_authorization_code": flags["authorization_code"],
            "grant_password": flags["password"],
            "grant_personal_access": flags["personal_access"],
            "grant_client_credentials": flags["client_credentials"],
            "public": flags["public"],
        }

    def _active_counts(self, client_ids: list[int]) -> dict[int, int]:
        if not client_ids:
            return {}
        now = self._store.clock.now()
        query = (
            AccessToken.select(AccessToken.client, pw.fn.COUNT(AccessToken.id))
            .where(
                AccessToken.client.in_(client_ids)
                & (AccessToken.revoked == False)
                & (AccessToken.expires_at.is_null() | (AccessToken.expires_at > now))
            )
            .group_by(AccessToken.client)
            .tuples()
        )
        return {client_id: count for client_id, count in query}

    def _order(self, sort: str) -> list[pw.Node]:
        if sort == "grants":
            return [
                Client.grant_authorization_code,
                Client.grant_password,
                Client.grant_personal_access,
                Client.grant_client_credentials,
            ]
        if sort == "active_tokens":
            now = self._store.clock.now()
            live = AccessToken.select(pw.fn.COUNT(AccessToken.id)).where(
                (AccessToken.client == Client.id)
                & (AccessToken.revoked == False)
                & (AccessToken.expires_at.is_null() | (AccessToken.expires_at > now))
            )
            return [live]
        return [getattr(Client, sort)]

    @staticmethod
    def _info(row: Client, active_tokens: int = 0) -> ClientInfo:
        return ClientInfo(
            id=row.id,
            name=row.name,
            redirect_uris=tuple(u for u in row.redirect_uris.split("\n") if u),
            scopes=tuple(row.scopes.split()),
            authorization_code=row.grant_authorization_code,
            password=row.grant_password,
            personal_access=row.grant_personal_access,
            client_credentials=row.grant_client_credentials,
            public=row.public,
            revoked=row.revoked,
            secret_hint=row.secret_hint,
            created_at=row.created_at,
            updated_at=row.updated_at,
            active_tokens=active_tokens,
        )


def _describe(fields: dict[str, object]) -> str:
    grants = [k.removeprefix("grant_") for k, v in fields.items() if k.startswith("grant_") and v]
    kind = "public" if fields["public"] else "confidential"
    return f"name={fields['name']!r}; {kind}; grants={','.join(grants)}"
