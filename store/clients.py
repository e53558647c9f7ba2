"""Client applications: create, list, update, delete, rotate secret, authenticate."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta

import peewee as pw

from authclients.store import crypto, validation
from authclients.store.context import StoreContext
from authclients.store.errors import NotFound, StaleEdit, ValidationError
from authclients.store.jwt_tokens import TOKEN_FORMATS
from authclients.store.lifetime_settings import BY_KIND, check_range, row_lifetimes
from authclients.store.models import AccessToken, AuthCode, Client
from authclients.store.records import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_DEVICE,
    GRANT_PASSWORD,
    GRANT_PERSONAL_ACCESS,
    ClientInfo,
    ClientPage,
    CreatedClient,
    Impact,
    UpdatedClient,
)
from authclients.store.revocation import end_access

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

_GRANT_COLUMNS = {
    "grant_authorization_code": GRANT_AUTHORIZATION_CODE,
    "grant_password": GRANT_PASSWORD,
    "grant_personal_access": GRANT_PERSONAL_ACCESS,
    "grant_client_credentials": GRANT_CLIENT_CREDENTIALS,
    "grant_device": GRANT_DEVICE,
}
"""Each grant flag and the ``grant_type`` its tokens carry (refreshed ones keep it)."""

_EDITABLE = (
    "name",
    "redirect_uris",
    "authorization_code",
    "password",
    "personal_access",
    "client_credentials",
    "device",
    "public",
    "scopes",
    "token_format",
)
"""The fields of a client form, compared field by field when a save is stale."""

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
        device: bool = False,
        public: bool = False,
        scopes: Iterable[str] | str = (),
        token_format: str = "opaque",
        lifetimes: Mapping[str, timedelta | None] | None = None,
    ) -> CreatedClient:
        """Create a client; a confidential one gets a secret, returned here only.

        ``lifetimes``: the client's own token lifetimes by kind (``access``,
        ``refresh``, ``personal_access``, ``auth_code``); the rest use the defaults.
        """
        fields, ttl_columns = _with_lifetimes(
            lambda: self._validate(
                name=name,
                redirect_uris=redirect_uris,
                authorization_code=authorization_code,
                password=password,
                personal_access=personal_access,
                client_credentials=client_credentials,
                device=device,
                public=public,
                scopes=scopes,
                token_format=token_format,
            ),
            lifetimes or {},
        )
        secret = None if public else crypto.new_secret()
        now = self._store.clock.now()
        with self._store.atomic():
            added = self._store.scopes.ensure(str(fields["scopes"]).split())
            row = Client.create(
                **fields,
                **ttl_columns,
                secret_hash=crypto.digest(secret) if secret else None,
                secret_hint=crypto.hint(secret) if secret else "",
                created_at=now,
                updated_at=now,
            )
            self._store.audit.record("client.create", "client", row.id, _describe(fields))
        return CreatedClient(client=self._info(row, 0), secret=secret, scopes_added=added)

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
        device: bool | object = _UNSET,
        public: bool | object = _UNSET,
        scopes: Iterable[str] | str | object = _UNSET,
        token_format: str | object = _UNSET,
        lifetimes: Mapping[str, timedelta | None] | object = _UNSET,
        expected_version: int | None = None,
        base: ClientInfo | None = None,
        force: bool = False,
    ) -> UpdatedClient:
        """Change what is given (nothing else); the rules are checked on the result as a whole.

        Making a confidential client public drops its secret; making a public
        client confidential needs a secret: rotate it afterwards. A grant
        switched off ends the tokens issued under it (with their refresh
        tokens) and, for the code grant, codes not yet exchanged: the result's
        ``ended`` says how many. Scopes not yet defined are defined
        (``scopes_added``).

        A form passes ``base`` (the record it loaded) or ``expected_version``:
        if the client changed since, ``StaleEdit`` names what changed, unless
        ``force``. Without either, only the given fields are written, over
        whatever the row holds now.
        """
        given = self._given(
            name=name,
            redirect_uris=redirect_uris,
            authorization_code=authorization_code,
            password=password,
            personal_access=personal_access,
            client_credentials=client_credentials,
            device=device,
            public=public,
            scopes=scopes,
            token_format=token_format,
        )
        with self._store.atomic():
            row = self._row(client_id, lock=True)
            if not force:
                self._check_version(row, expected_version, base)
            asked = lifetimes if isinstance(lifetimes, Mapping) else {}
            fields, ttl_columns = _with_lifetimes(lambda: self._merged(row, given), asked)
            changed = [k for k, v in fields.items() if getattr(row, k) != v]
            if any(getattr(row, k) != v for k, v in ttl_columns.items()):
                changed.append("lifetimes")
            for key, value in ttl_columns.items():
                setattr(row, key, value)
            added = self._store.scopes.ensure(str(fields["scopes"]).split())
            ended = self._end_switched_off(row, fields)
            for key, value in fields.items():
                setattr(row, key, value)
            if fields["public"] and row.secret_hash:
                row.secret_hash = None
                row.secret_hint = ""
            self._save(row)
            detail = "changed: " + (", ".join(changed) or "nothing")
            if not ended.nothing:
                detail += f"; {ended.describe().replace('ends', 'ended', 1)}"
            self._store.audit.record("client.update", "client", row.id, detail)
        current = self.get(row.id)
        return UpdatedClient(**_fields_of(current), ended=ended, scopes_added=added)

    def impact(
        self,
        client_id: int,
        *,
        rotate_secret: bool = False,
        **changes: object,
    ) -> Impact:
        """What ``update(client_id, **changes)`` (or a secret rotation) would end; changes nothing.

        For the confirmation: "Save? This ends 3 access tokens."
        """
        row = self._row(client_id)
        if rotate_secret:
            return self._end_secret(row, dry_run=True)
        fields = self._merged(row, self._given(**changes))
        return self._end_switched_off(row, fields, dry_run=True)

    def delete(self, client_id: int) -> int:
        """Delete the client: every token and code it holds dies in the same transaction.

        The row is kept, marked revoked, so its tokens keep their history and
        its id is never reused. Returns how many live access tokens were revoked.
        """
        with self._store.atomic():
            row = self._row(client_id, lock=True)
            revoked = self._store.tokens.revoke_all_of_client(row.id, _audit=False)
            AuthCode.update(revoked=True).where(
                (AuthCode.client == row.id) & (AuthCode.revoked == False)
            ).execute()
            row.revoked = True
            row.secret_hash = None
            self._save(row)
            self._store.audit.record(
                "client.delete", "client", row.id, f"name={row.name!r}; revoked {revoked} tokens"
            )
        return revoked

    def set_disabled(self, client_id: int, disabled: bool) -> int:
        """Disable (or enable) a client; disabling ends its live tokens and codes.

        A disabled client is kept with its settings but gets no token and no
        code until enabled again. Returns how many live access tokens ended.
        """
        with self._store.atomic():
            row = self._row(client_id, lock=True)
            ended = 0
            if disabled and not row.disabled:
                ended = self._store.tokens.revoke_all_of_client(row.id, _audit=False)
                AuthCode.update(revoked=True).where(
                    (AuthCode.client == row.id) & (AuthCode.revoked == False)
                ).execute()
            row.disabled = bool(disabled)
            self._save(row)
            self._store.audit.record(
                "client.disable" if disabled else "client.enable",
                "client",
                row.id,
                f"revoked {ended} tokens" if ended else "",
            )
        return ended

    def validated(self, **fields: object) -> dict[str, object]:
        """The columns ``create`` would store for these form fields, or ``ValidationError``."""
        return self._validate(**fields)  # type: ignore[arg-type]

    def rotate_secret(self, client_id: int) -> CreatedClient:
        """A new secret; the old one stops authenticating at once, and what it won ends.

        Whoever held the old secret may hold what it obtains on its own: the
        client's ``client_credentials`` tokens and its refresh tokens (a
        refresh needs the secret). Both are revoked; users' access tokens
        from the other grants live on to their (short) expiry, and personal
        access tokens, which no secret obtained, are untouched. ``ended``
        says how many.
        """
        with self._store.atomic():
            row = self._row(client_id, lock=True)
            if row.public:
                raise ValidationError.single(
                    "public", "A public client has no secret to rotate; make it confidential first."
                )
            ended = self._end_secret(row)
            secret = crypto.new_secret()
            row.secret_hash = crypto.digest(secret)
            row.secret_hint = crypto.hint(secret)
            self._save(row)
            self._store.audit.record(
                "client.rotate_secret",
                "client",
                row.id,
                "" if ended.nothing else ended.describe().replace("ends", "ended", 1),
            )
        return CreatedClient(client=self.get(row.id), secret=secret, ended=ended)

    # -- for the endpoint --------------------------------------------------

    def find_active(self, client_id: object, *, lock: bool = False) -> ClientInfo | None:
        """The client for a presented ``client_id``, or None if unknown or deleted.

        ``lock`` (inside a transaction) holds the row until commit on PostgreSQL, so
        a concurrent ``update`` waits for the caller's write and then sees it.
        """
        row = self._active_row(client_id)
        if row is not None and lock and isinstance(self._store.db, pw.PostgresqlDatabase):
            row = Client.select().where(Client.id == row.id).for_update().first()
        return self._info(row) if row and not row.disabled else None

    def authenticate(self, client_id: object, secret: str | None) -> ClientInfo | None:
        """The client if ``secret`` is its secret (constant time); None otherwise.

        A public client authenticates with its id alone and must present no secret.
        """
        row = self._active_row(client_id)
        if row is None or row.disabled:
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

    def _row(self, client_id: int, *, lock: bool = False) -> Client:
        row = self._active_row(client_id)
        if row is None:
            raise NotFound("client", client_id)
        if lock and isinstance(self._store.db, pw.PostgresqlDatabase):
            # Locked until commit: a concurrent save waits for this one, then sees it.
            # (SQLite's writes are serialised by BEGIN IMMEDIATE already.)
            row = Client.select().where(Client.id == row.id).for_update().get()
        return row

    @staticmethod
    def _given(**values: object) -> dict[str, object]:
        return {key: value for key, value in values.items() if value is not _UNSET}

    def _merged(self, row: Client, given: dict[str, object]) -> dict[str, object]:
        """The row's fields with the given ones over them, validated as a whole."""
        unknown = set(given) - set(_EDITABLE)
        if unknown:
            raise TypeError(f"unknown client fields: {', '.join(sorted(unknown))}")
        current = self._info(row)
        return self._validate(**{**{f: getattr(current, f) for f in _EDITABLE}, **given})

    def _check_version(
        self, row: Client, expected_version: int | None, base: ClientInfo | None
    ) -> None:
        expected = base.version if base is not None else expected_version
        if expected is None or expected == row.version:
            return
        now = self._info(row)
        changes = {}
        if base is not None:
            changes = {
                f: (getattr(base, f), getattr(now, f))
                for f in (*_EDITABLE, "secret_hint", "lifetimes")
                if getattr(base, f) != getattr(now, f)
            }
        raise StaleEdit(
            "client", row.id, expected=expected, found=row.version, changes=changes, current=now
        )

    def _save(self, row: Client) -> None:
        """Write the row with its version moved on."""
        row.version += 1
        row.updated_at = self._store.clock.now()
        row.save()

    def _end_switched_off(
        self, row: Client, fields: dict[str, object], *, dry_run: bool = False
    ) -> Impact:
        """End the tokens of each grant this save switches off (and pending codes).

        Going public drops the secret: what a rotation ends ends too (refresh
        tokens, which needed the secret and would then need only the id).
        """
        off = [
            grant_type
            for column, grant_type in _GRANT_COLUMNS.items()
            if getattr(row, column) and not fields[column]
        ]
        secret_dropped = bool(fields["public"]) and not row.public
        if secret_dropped:
            off = sorted({*off, GRANT_CLIENT_CREDENTIALS})
        elif not off:
            return Impact()
        return end_access(
            self._store.clock.now(),
            access=(AccessToken.client == row.id) & AccessToken.grant_type.in_(off),
            refresh=(AccessToken.client == row.id) if secret_dropped else None,
            codes=(AuthCode.client == row.id) if GRANT_AUTHORIZATION_CODE in off else None,
            dry_run=dry_run,
        )

    def _end_secret(self, row: Client, *, dry_run: bool = False) -> Impact:
        """End what the old secret could obtain or keep alive on its own."""
        return end_access(
            self._store.clock.now(),
            access=(AccessToken.client == row.id)
            & (AccessToken.grant_type == GRANT_CLIENT_CREDENTIALS),
            refresh=AccessToken.client == row.id,
            dry_run=dry_run,
        )

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
        device: bool = False,
        token_format: str = "opaque",
    ) -> dict[str, object]:
        errors: dict[str, str] = {}
        if token_format not in TOKEN_FORMATS:
            errors["token_format"] = f"The token format is one of: {', '.join(TOKEN_FORMATS)}."
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
            "device": bool(device),
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
            "grant_device": flags["device"],
            "public": flags["public"],
            "token_format": token_format,
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
                Client.grant_device,
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
            version=row.version,
            device=row.grant_device,
            registered=row.registered,
            disabled=row.disabled,
            token_format=row.token_format,
            lifetimes=row_lifetimes(row),
        )


def _with_lifetimes(
    validate: Callable[[], dict[str, object]], lifetimes: Mapping[str, timedelta | None]
) -> tuple[dict[str, object], dict[str, int | None]]:
    """The validated fields and the lifetime columns, with every error of both in one raise."""
    errors: dict[str, str] = {}
    fields: dict[str, object] = {}
    try:
        fields = validate()
    except ValidationError as exc:
        errors.update(exc.errors)
    columns: dict[str, int | None] = {}
    for kind, value in lifetimes.items():
        rule = BY_KIND.get(kind)
        if rule is None:
            raise TypeError(f"unknown lifetime: {kind}")
        if value is not None:
            try:
                check_range(value, rule)
            except ValidationError as exc:
                errors.update(exc.errors)
                continue
        columns[rule.column] = None if value is None else int(value.total_seconds())
    if errors:
        raise ValidationError(errors)
    return fields, columns


def _fields_of(info: ClientInfo) -> dict[str, object]:
    return {f: getattr(info, f) for f in ClientInfo.__dataclass_fields__}


def _describe(fields: dict[str, object]) -> str:
    grants = [k.removeprefix("grant_") for k, v in fields.items() if k.startswith("grant_") and v]
    kind = "public" if fields["public"] else "confidential"
    return f"name={fields['name']!r}; {kind}; grants={','.join(grants)}"
