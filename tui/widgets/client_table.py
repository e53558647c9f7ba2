"""A client table that holds only a window of rows and asks its screen for more.

A DataTable with 100,000 rows takes over ten seconds to fill. This one keeps
at most ``WINDOW`` rows; moving the cursor past either end of the window posts
``PageWanted`` and the screen answers with ``show_page`` from a worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.message import Message
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets._data_table import RowKey

from authclients.store.records import ClientInfo, ClientPage
from authclients.tui.formatting import OWN_LIFETIMES_MARK, date_text, grant_summary
from authclients.tui.safe_display import cell


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    """The store's sort key for this column."""
    label: str
    width: int
    """Fixed width; 0 means computed (the id from the largest id, the rest share what is left)."""


COLUMNS = (
    ColumnSpec("id", "ID", 0),
    ColumnSpec("name", "Name", 0),
    ColumnSpec("grants", "Grants", 0),
    ColumnSpec("redirect_uris", "Redirect URL", 0),
    ColumnSpec("secret_hint", "Hint", 4),
    ColumnSpec("active_tokens", "Live", 4),
    ColumnSpec("created_at", "Created", 10),
)
SORTABLE = tuple(c.key for c in COLUMNS)
GRANTS_MAX_WIDTH = 16
"""All four grants, abbreviated: ``code pass pat cc``."""
_NOWHERE = Coordinate(-2, -2)
"""A cursor on no row: not a data row, not the header (-1)."""


class ClientTable(DataTable[Text | str]):
    """One window of the filtered, sorted client list, with the cursor in it."""

    WINDOW = 100
    """Rows held at once: a few screens' worth, cheap to rebuild."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home,g", "first", "First client", show=False),
        Binding("end,ctrl+end,G", "last", "Last client", show=False),
    ]

    class PageWanted(Message):
        """The table needs rows from ``offset`` and the cursor on absolute row ``cursor``."""

        def __init__(self, offset: int, cursor: int) -> None:
            super().__init__()
            self.offset = offset
            self.cursor = cursor

    def __init__(self, *, id: str | None = None, on_move: Callable[[], None] | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)
        self._on_move = on_move
        """Called as soon as the cursor moves (see ``watch_cursor_coordinate``)."""
        self.match_count = 0
        """How many clients match the filter, from the last page shown."""
        self.window_start = 0
        """Absolute index of the first row held."""
        self.items: list[ClientInfo] = []
        self.sort_key = "id"
        self.descending = False
        self._pending: int | None = None
        """The absolute row asked for and not yet shown, so key repeats build on it."""
        self._widths: tuple[int, ...] = ()

    # -- what the screen calls --------------------------------------------

    def show_page(self, page: ClientPage, cursor: int) -> None:
        """Replace the window with ``page`` and put the cursor on absolute row ``cursor``."""
        shown = self.items
        same_rows = (
            page.offset == self.window_start
            and self.row_count == len(shown)
            and [c.id for c in page.items] == [c.id for c in shown]
        )
        self.match_count = page.total
        self.window_start = page.offset
        self.items = list(page.items)
        self._pending = None
        if self._compute_widths() != self._widths:
            self._build_columns()
        elif same_rows:
            self._update_rows(shown)
        else:
            self._fill()
        if self.items:
            row = min(max(cursor - self.window_start, 0), len(self.items) - 1)
            self.move_cursor(row=row, animate=False, scroll=True)

    def set_sort(self, key: str, descending: bool) -> None:
        self.sort_key = key
        self.descending = descending
        self._build_columns(force=True)

    @property
    def current(self) -> ClientInfo | None:
        """The client under the cursor, if any."""
        if not self.items or not 0 <= self.cursor_row < len(self.items):
            return None
        return self.items[self.cursor_row]

    @property
    def paging(self) -> bool:
        """True while a window asked for has not arrived yet."""
        return self._pending is not None

    @property
    def absolute_cursor(self) -> int:
        return self.window_start + (self.cursor_row if self.items else 0)

    def go_to(self, absolute: int) -> None:
        """Move to an absolute row, asking for another window when it is outside this one."""
        if self.match_count == 0:
            return
        absolute = min(max(absolute, 0), self.match_count - 1)
        if (
            self.window_start <= absolute < self.window_start + len(self.items)
            and self._pending is None
        ):
            self.move_cursor(row=absolute - self.window_start, animate=False, scroll=True)
            return
        # Centre the new window on the target so both directions have room.
        start = max(0, min(absolute - self.WINDOW // 2, self.match_count - self.WINDOW))
        self._pending = absolute
        self.post_message(self.PageWanted(start, absolute))

    # -- keys ---------------------------------------------------------------

    def _base(self) -> int:
        return self._pending if self._pending is not None else self.absolute_cursor

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_down(self) -> None:
        self.go_to(self._base() + 1)

    def action_cursor_up(self) -> None:
        self.go_to(self._base() - 1)

    def action_page_down(self) -> None:
        self.go_to(self._base() + self._page_height())

    def action_page_up(self) -> None:
        self.go_to(self._base() - self._page_height())

    def action_first(self) -> None:
        self.go_to(0)

    def action_last(self) -> None:
        self.go_to(self.match_count - 1)

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        super().watch_cursor_coordinate(old, new)
        # At once, not on the RowHighlighted message: what the owner shows about the
        # cursor (the screen's "row N" line) then joins the frame that draws the moved
        # cursor, instead of costing a frame of its own one frame period later.
        if old != new and self._on_move is not None:
            self._on_move()

    # -- rendering ------------------------------------------------------------

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: object,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[list, list]:  # type: ignore[type-arg]
        """DataTable's row render, cached per row whatever row the cursor is on.

        DataTable keys its cache of rendered rows on the cursor's coordinate, so
        every cursor move misses it for every row: once the cursor reaches the
        bottom, each ``down`` scrolls and renders the whole visible table anew
        (58 ms of the UI thread per key at 120x40, against 5 ms without a scroll,
        measured in process). With a row cursor a row looks the same wherever the
        cursor is, as long as it is not on that row: those rows get one fixed
        "nowhere" cursor (and hover), so their rendering is reused.
        """
        if self.cursor_type == "row":
            row = self._row_locations.get(row_key)
            if row is None:  # the header row
                row = -1
            if cursor_location.row != row:
                cursor_location = _NOWHERE
            if hover_location.row != row:
                hover_location = _NOWHERE
        return super()._render_line_in_row(  # type: ignore[arg-type]
            row_key, line_no, base_style, cursor_location, hover_location
        )

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Scrolling reuses the lines already drawn, moved, instead of drawing every line.

        Textual repaints a scrolled widget whole: each visible line goes through
        the widget's render and the styles pass again (about 10 ms of the UI
        thread per ``down`` at the bottom of a 120x40 table, most of a key's
        cost). A line's look does not depend on where it is on screen (zebra
        stripes follow the row, not the line), so the lines that stay in view
        keep their finished strips at their new place; only lines that scroll in,
        or were marked for repaint (the cursor's old and new rows), are drawn.
        """
        moved = self._lines_after_scroll(round(new_value) - round(old_value))
        super().watch_scroll_y(old_value, new_value)  # marks every line for repaint
        if moved:
            # Textual's per-widget line cache (``StylesCache``), keyed on the line's y.
            lines = self._styles_cache
            lines._cache.update(moved)
            lines._dirty_lines.difference_update(moved)

    def _lines_after_scroll(self, shift: int) -> dict[int, Strip]:
        """The finished lines that stay in view after scrolling ``shift`` rows, at their new y."""
        if not shift:
            return {}
        # In the cache's coordinates: the widget's, past its border and the header row.
        fixed = self.get_row_height(self._header_row_key) if self.show_header else 0
        fixed += sum(
            self.get_row_height(self._row_locations.get_key(row)) for row in range(self.fixed_rows)
        )
        top = self.content_offset.y + fixed
        bottom = self.content_offset.y + self.size.height
        lines = self._styles_cache._cache
        dirty = self._styles_cache._dirty_lines
        moved: dict[int, Strip] = {}
        for y in range(max(top, top - shift), min(bottom, bottom - shift)):
            source = y + shift
            strip = lines.get(source)
            if strip is not None and source not in dirty:
                moved[y] = strip
        return moved

    # -- layout -------------------------------------------------------------

    def on_resize(self) -> None:
        self._build_columns()

    def _compute_widths(self) -> tuple[int, ...]:
        width = self.size.width or 80
        id_width = max(4, len(str(max((c.id for c in self.items), default=0))))
        padding = 2 * self.cell_padding * len(COLUMNS)
        grants_width = self._grants_width()
        fixed = sum(c.width for c in COLUMNS) + id_width + grants_width
        # Two columns for the vertical scrollbar, which appears with the first long page.
        spare = max(16, width - padding - fixed - 2)
        name = max(8, spare * 3 // 5)
        redirect = max(8, spare - name)
        flexible = {
            "id": id_width,
            "name": name,
            "grants": grants_width,
            "redirect_uris": redirect,
        }
        return tuple(c.width or flexible[c.key] for c in COLUMNS)

    def _grants_width(self) -> int:
        """As wide as this window's longest grant list: "code pass pat cc" is rare."""
        longest = max((len(grant_summary(c)) for c in self.items), default=0)
        return min(GRANTS_MAX_WIDTH, max(len("Grants ▲"), longest))

    def _build_columns(self, force: bool = False) -> None:
        widths = self._compute_widths()
        if widths == self._widths and not force:
            return
        self._widths = widths
        row = self.cursor_row
        self.clear(columns=True)
        for spec, width in zip(COLUMNS, widths, strict=True):
            label = spec.label
            if spec.key == self.sort_key:
                label += " ▼" if self.descending else " ▲"
            self.add_column(label, width=width, key=spec.key)
        self._fill()
        if self.items:
            self.move_cursor(row=min(row, len(self.items) - 1), animate=False)

    def _update_rows(self, shown: list[ClientInfo]) -> None:
        """The same clients again (a reload): change only the rows whose client changed.

        The console reloads its window whenever the store changes, every second
        while the endpoint issues tokens. Rebuilding the window each time redrew
        the whole table (tens of ms of the UI thread, in the way of any key) to
        show, most often, exactly what was there.
        """
        columns = [column.key for column in self.ordered_columns]
        for index, (before, after) in enumerate(zip(shown, self.items, strict=True)):
            if before == after:
                continue
            row_key = self._row_locations.get_key(index)
            for column, value in zip(columns, _cells(after), strict=True):
                self.update_cell(row_key, column, value)

    def _fill(self) -> None:
        if not self.columns:
            self._build_columns(force=True)
            return
        self.clear()
        self.add_rows(_cells(item) for item in self.items)


REGISTERED_MARK = "◇ "
"""Before the name of a client that registered itself (RFC 7591), not an admin's."""
DISABLED_MARK = "⊘ "
"""Before the name of a disabled client: it gets no token until enabled."""


def _name(client: ClientInfo) -> Text:
    name = cell(client.name, ellipsis=True)
    if not client.lifetimes.is_default:
        # Its own token lifetimes: the form's "Token lifetimes" section says which.
        name = Text.assemble(
            (OWN_LIFETIMES_MARK + " ", "bold"), name, no_wrap=True, overflow="ellipsis", end=""
        )
    marks = (DISABLED_MARK if client.disabled else "") + (
        REGISTERED_MARK if client.registered else ""
    )
    if not marks:
        return name
    text = Text(
        marks,
        style="bold yellow" if client.registered else "dim",
        no_wrap=True,
        overflow="ellipsis",
        end="",
    )
    text.append_text(name)
    if client.disabled:
        text.stylize("dim")
    return text


def _cells(client: ClientInfo) -> list[Text | str]:
    # Name and redirect URL come from the store as written, maybe by raw SQL: shown
    # literally (never as markup), control characters made visible.
    redirect = client.redirect_uris[0] if client.redirect_uris else "—"
    if len(client.redirect_uris) > 1:
        redirect += f" (+{len(client.redirect_uris) - 1})"
    return [
        Text(str(client.id), justify="right"),
        _name(client),
        grant_summary(client),
        cell(redirect, ellipsis=True),
        cell(client.secret_hint or "—"),
        Text(str(client.active_tokens), justify="right"),
        date_text(client.created_at),
    ]
