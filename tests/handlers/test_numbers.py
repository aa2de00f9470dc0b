"""Whole numbers read the way a Vietnamese person writes them, or refused with the reason."""

from __future__ import annotations

import pytest

from bot.core.numbers import NumberError, option_number, parse_whole, show_number, typed_id
from handlers.texts import ANSWER_ERRORS

READ = [
    ("12", 12),
    ("  12 ", 12),
    ("0", 0),
    ("007", 7),
    ("1.250", 1250),
    ("1 250", 1250),
    ("1\u00a0250", 1250),  # no-break space, as spreadsheets copy it
    ("1\u202f250", 1250),  # narrow no-break space
    ("1.250.000", 1_250_000),
    ("12 000 000", 12_000_000),
    ("-3", -3),
    ("\u22123", -3),  # the minus sign a phone may put instead of a hyphen
    ("+7", 7),
    ("12,0", 12),  # no fractional part: still twelve
    ("1.250,00", 1250),
]

REFUSED = [
    ("1,5", "not_whole"),
    ("2,25", "not_whole"),
    ("1.250,5", "not_whole"),
    ("12.50", "ambiguous_number"),
    ("1.2", "ambiguous_number"),
    ("1,250", "ambiguous_number"),  # English thousands, or one and a quarter?
    ("1,250,000", "ambiguous_number"),
    ("1.2.3.4", "not_a_number"),
    ("1.25.000", "not_a_number"),  # groups are three digits after the first
    ("1.250 000", "not_a_number"),  # one kind of separator per number
    ("12a", "not_a_number"),
    ("mười hai", "not_a_number"),
    ("²", "not_a_number"),  # str.isdigit says yes, int says no
    ("１２", "not_a_number"),  # full-width digits are not read silently
    ("1" * 16, "not_a_number"),
    ("--3", "not_a_number"),
    ("", "empty"),
    ("   ", "empty"),
]


@pytest.mark.parametrize(("typed", "expected"), READ)
def test_numbers_read_as_typed(typed, expected):
    assert parse_whole(typed) == expected


@pytest.mark.parametrize(("typed", "key"), REFUSED)
def test_numbers_refused_with_a_reason(typed, key):
    with pytest.raises(NumberError) as refused:
        parse_whole(typed)
    assert refused.value.key == key
    message = ANSWER_ERRORS[key].format(**refused.value.params)  # every reason has its sentence
    if typed.strip():
        assert f"“{typed.strip()}”" in message


def test_the_reasons_say_what_to_type():
    assert "số nguyên" in ANSWER_ERRORS["not_whole"]
    assert "1.250 là một nghìn hai trăm năm mươi" in ANSWER_ERRORS["ambiguous_number"]


@pytest.mark.parametrize(("value", "shown"), [(0, "0"), (1250, "1.250"), (10_000_000, "10.000.000"), (-3, "-3")])
def test_numbers_are_shown_as_they_are_read(value, shown):
    assert show_number(value) == shown
    assert parse_whole(shown) == value


@pytest.mark.parametrize(("typed", "expected"), [("12", 12), ("1.250", 1250), ("0", None), ("-1", None),
                                                 ("1,5", None), ("abc", None), ("²", None)])
def test_ids_typed_after_a_command(typed, expected):
    assert typed_id(typed) == expected


@pytest.mark.parametrize(("typed", "expected"), [("2", 2), (" 3 ", 3), ("²", None), ("1.0", None), ("", None),
                                                 ("9999999", None)])
def test_option_numbers(typed, expected):
    assert option_number(typed) == expected
