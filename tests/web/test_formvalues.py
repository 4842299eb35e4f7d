"""The evaluator's field reader: strict, hand-written, never eval."""

from __future__ import annotations

import pytest

from kb.formvalues import MISSING, FormValueError, format_value, parse_shape, parse_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("64", 64),
        (" 64 ", 64),
        ("-1", -1),
        ("0.5", 0.5),
        ("1e-3", 0.001),
        ("None", None),
        ("none", None),
        ("null", None),
        ("true", True),
        ("False", False),
        ("same", "same"),
        ("'same'", "same"),
        ('"channels_first"', "channels_first"),
        ("H", "H"),
        ("3, 3", (3, 3)),
        ("(3, 3)", (3, 3)),
        ("[3,3]", (3, 3)),
        ("(3,)", (3,)),
        ("3,", (3,)),
        ("(None, 10, 32)", (None, 10, 32)),
        ("None, H, W, 3", (None, "H", "W", 3)),
        ("()", ()),
        ("", MISSING),
        ("   ", MISSING),
    ],
)
def test_parse_value(text, expected):
    assert parse_value(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "1 + 1",
        "3 3",
        "((3, 3))",
        "(3, 3",
        "[3, (4)]",
        "'unclosed",
        "{'a': 1}",
        "lambda: 0",
        "2**31",
        "1e999",
        "a" * 32,
        "x" * 201,
        ",".join(["1"] * 17),
        "1,,2",
        "'it''s'",
        "é",
    ],
)
def test_parse_value_refuses(text):
    with pytest.raises(FormValueError) as caught:
        parse_value(text)
    assert caught.value.message


@pytest.mark.parametrize(("text", "expected"), [("10", [10]), ("None, 10, 32", [None, 10, 32]), ("", MISSING)])
def test_parse_shape(text, expected):
    assert parse_shape(text) == expected


@pytest.mark.parametrize(
    "value",
    [
        64,
        None,
        True,
        False,
        0.25,
        "same",
        "channels_last",
        [3, 3],
        [None, 10, 32],
        ["H", "W"],
        [5],
        "two words",
        "none",
        "null",
        "True",
    ],
)
def test_format_round_trips(value):
    back = parse_value(format_value(value))
    if isinstance(value, list):
        assert back == (value[0] if len(value) == 1 else tuple(value))
    else:
        assert back == value


def test_choice_words_stay_strings():
    assert parse_value("none") is None
    assert parse_value("none", choices={"none", "tanh"}) == "none"
    assert parse_value("'none'") == "none"
    assert format_value("none") == "'none'" and format_value("True") == "'True'"
    assert parse_value(format_value("false")) == "false"


def test_format_examples():
    assert format_value([None, 10, 32]) == "None, 10, 32"
    assert format_value(True) == "true"
    assert format_value("same") == "same"
    assert format_value("two words") == "'two words'"
