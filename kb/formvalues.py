"""Read and write the evaluator form's text fields, by hand: no eval, no sympify, no literal_eval.

A field holds one value or a flat tuple of values:

    64            an integer           None / null    unknown (None)
    0.5           a number             true / false   a boolean
    same, H       a name ([A-Za-z_][A-Za-z0-9_]{0,30}): a choice such as padding, or a symbolic dimension
    'same'        a quoted name (single or double quotes)
    3, 3   (3, 3)   [3, 3]   3,        a tuple
"""

from __future__ import annotations

import math
import re

MISSING = object()  # an empty field: the parameter keeps its default
MAX_FIELD = 200  # characters
MAX_ITEMS = 16

_INT = re.compile(r"[+-]?\d{1,20}")
_FLOAT = re.compile(r"[+-]?(?:\d{1,20}\.\d{0,20}|\.\d{1,20})(?:[eE][+-]?\d{1,3})?|[+-]?\d{1,20}[eE][+-]?\d{1,3}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,30}")
_QUOTED = re.compile(r"'([A-Za-z0-9_ .-]{0,64})'|\"([A-Za-z0-9_ .-]{0,64})\"")
_WORDS = {"none": None, "null": None, "true": True, "false": False}
HINT = "use an integer, None, true/false, a name such as same, or a tuple such as 3, 3"


class FormValueError(ValueError):
    """A field the form cannot read; .message repeats what was received."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_scalar(text: str):
    s = text.strip()
    if not s:
        raise FormValueError(f"empty item; {HINT}")
    if _INT.fullmatch(s):
        return int(s)
    if _FLOAT.fullmatch(s):
        value = float(s)
        if not math.isfinite(value):
            raise FormValueError(f"{s!r} is not a finite number")
        return value
    if s.lower() in _WORDS:
        return _WORDS[s.lower()]
    if _NAME.fullmatch(s):
        return s
    quoted = _QUOTED.fullmatch(s)
    if quoted:
        return quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
    raise FormValueError(f"cannot read {s[:60]!r}; {HINT}")


def _split_items(text: str) -> list[str]:
    """Split on commas outside quotes; brackets inside a tuple are refused (no nesting)."""
    items, current, quote = [], [], None
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch in "()[]{}":
            raise FormValueError(f"nested or unbalanced brackets in {text[:60]!r}; a tuple is flat, such as 3, 3")
        elif ch == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    if quote:
        raise FormValueError(f"unclosed quote in {text[:60]!r}")
    items.append("".join(current))
    return items


def parse_value(text: str | None, choices: frozenset[str] | set[str] = frozenset()):
    """One field's value: MISSING, a scalar, or a tuple of scalars.

    `choices` are the strings a choice parameter takes: typed bare, such a word stays a string even
    when it is also a keyword (GELU's approximate='none').
    """
    if text is None:
        return MISSING
    s = text.strip()
    if not s:
        return MISSING
    if s in choices:
        return s
    if len(s) > MAX_FIELD:
        raise FormValueError(f"at most {MAX_FIELD} characters, received {len(s)}")
    bracketed = False
    if s[0] in "([":
        close = ")" if s[0] == "(" else "]"
        if s[-1] != close:
            raise FormValueError(f"unbalanced brackets in {s[:60]!r}")
        s, bracketed = s[1:-1], True
    items = _split_items(s)
    if len(items) > 1 and not items[-1].strip():
        items.pop()  # a trailing comma: "3," is a one-item tuple
        bracketed = True
    if len(items) > MAX_ITEMS:
        raise FormValueError(f"at most {MAX_ITEMS} items, received {len(items)}")
    if bracketed and len(items) == 1 and not items[0].strip():
        return ()
    values = tuple(parse_scalar(item) for item in items)
    if bracketed or len(values) > 1:
        return values
    return values[0]


def parse_shape(text: str | None):
    """input_shape: a tuple of dimensions (a single value is a one-dimensional shape)."""
    value = parse_value(text)
    if value is MISSING:
        return MISSING
    return list(value) if isinstance(value, tuple) else [value]


def format_scalar(value) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # Bare only when it reads back as the same string: 'none' or 'true' as a choice stay quoted.
        if _NAME.fullmatch(value) and value.lower() not in _WORDS:
            return value
        return "'" + value.replace("'", "") + "'"
    return str(value)


def format_value(value) -> str:
    """The text a field shows for a value; parse_value(format_value(v)) gives v back (tuples of one become scalars)."""
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return format_scalar(value[0])
        return ", ".join(format_scalar(v) for v in value)
    return format_scalar(value)
