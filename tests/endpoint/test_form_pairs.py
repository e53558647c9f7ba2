"""``form_pairs`` reads a form body exactly as ``urllib.parse.parse_qsl`` did before it.

The endpoint swapped ``parse_qsl`` for its own split (it decoded every name and
value, escaped or not); every input gives the same pairs or the same error.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authclients.store.endpoint.http import MAX_FIELDS, form_pairs

_ALPHABET = st.sampled_from(
    [*"ab=&+% ;~-._\x7f\u00e9", "%20", "%41", "%e9", "%C3", "%A9", "%c3", "%a9", "%00", "%zz"]
)


def _reference(text: str) -> object:
    try:
        return parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=bool(text),
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except (ValueError, UnicodeDecodeError) as exc:
        return type(exc)


def _ours(text: str) -> object:
    try:
        return form_pairs(text)
    except (ValueError, UnicodeDecodeError) as exc:
        return type(exc)


@given(st.lists(_ALPHABET, max_size=40).map("".join))
@settings(max_examples=600, deadline=None)
def test_the_same_pairs_or_the_same_error_as_parse_qsl(text: str) -> None:
    assert _ours(text) == _reference(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "grant_type=client_credentials&scope=read+write",
        "a=&b=1",
        "a",
        "a=1&&b=2",
        "=1",
        "a=%C3%A9",
        "a=%E9",
        "a=1;b=2",
        "&".join(["a=1"] * MAX_FIELDS),
        "&".join(["a=1"] * (MAX_FIELDS + 1)),
    ],
)
def test_edge_cases_agree(text: str) -> None:
    assert _ours(text) == _reference(text)
