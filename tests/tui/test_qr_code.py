"""The playground's QR code: the half blocks give back segno's modules, and a reader scans them."""

from __future__ import annotations

import pytest
import segno
import zxingcpp

from authclients.tui.widgets.playground.qr_code import (
    EMPTY,
    FULL,
    LOWER,
    QUIET_ZONE,
    UPPER,
    half_block_lines,
    qr_matrix,
    qr_text,
)

URLS = [
    "http://127.0.0.1:8765/oauth/device?user_code=BCDF-GHJK",
    "https://auth.example.com/oauth/device?user_code=WXYZ-MNPQ&x=" + "a" * 120,
    "http://[::1]:9/oauth/device?user_code=\x1b[31mRED",
]


def read_back(lines: list[str]) -> list[list[bool]]:
    """The modules a reader of the characters sees: two per cell, top then bottom."""
    upper = {FULL: True, UPPER: True, LOWER: False, EMPTY: False}
    lower = {FULL: True, UPPER: False, LOWER: True, EMPTY: False}
    rows: list[list[bool]] = []
    for line in lines:
        rows.append([upper[c] for c in line])
        rows.append([lower[c] for c in line])
    return rows


def scan(matrix: list[list[bool]], scale: int = 4) -> str | None:
    """Draw the modules as a grey image (dark 0, light 255) and decode it with ZXing."""
    height, width = len(matrix) * scale, len(matrix[0]) * scale
    pixels = bytearray()
    for row in matrix:
        line = bytes(0 if dark else 255 for dark in row for _ in range(scale))
        pixels += line * scale
    image = memoryview(bytes(pixels)).cast("B", (height, width))
    found = zxingcpp.read_barcode(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return found.bytes.decode("utf-8") if found is not None else None


@pytest.mark.parametrize("url", URLS)
def test_half_blocks_round_trip_to_segnos_matrix(url: str) -> None:
    code = segno.make(url, error="l", micro=False, boost_error=False)
    expected = [[bool(m) for m in row] for row in code.matrix_iter(border=QUIET_ZONE)]
    lines = half_block_lines(qr_matrix(url))
    assert len(lines) == (len(expected) + 1) // 2
    assert {len(line) for line in lines} == {len(expected)}
    back = read_back(lines)
    assert back[: len(expected)] == expected
    # The pad row of an odd-sized symbol is light: the quiet zone stays quiet.
    assert all(not m for row in back[len(expected) :] for m in row)


@pytest.mark.parametrize("url", URLS)
def test_what_is_drawn_scans_as_the_url(url: str) -> None:
    drawn = read_back(half_block_lines(qr_matrix(url)))
    assert scan(drawn) == url


def test_a_broken_drawing_does_not_scan() -> None:
    """The scan test can fail: wipe the finder patterns and the reader finds nothing."""
    drawn = read_back(half_block_lines(qr_matrix(URLS[0])))
    for row in drawn[: len(drawn) // 2]:
        row[: len(row) // 2] = [False] * (len(row) // 2)
    assert scan(drawn) is None


def test_only_blocks_reach_the_terminal_even_for_an_escape_in_the_url() -> None:
    text = qr_text(URLS[2])
    assert set(text.plain) <= {FULL, UPPER, LOWER, EMPTY, "\n"}
    assert "\x1b" not in text.plain
    assert str(text.style) == "#000000 on #ffffff"


def test_the_embedded_endpoints_link_fits_80_columns_and_half_of_24_rows() -> None:
    lines = half_block_lines(qr_matrix(URLS[0]))
    assert len(lines[0]) <= 40
    assert len(lines) <= 19
