"""Pydantic validation errors in an organiser's words.

Pydantic's own text names Python types and links to its documentation; an
organiser fixing a spreadsheet needs to know which value is wrong and what
would be right. :func:`plain_message` turns one error of
``ValidationError.errors()`` into such a sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["plain_message"]


def _shown(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"'{text}'"


def plain_message(error: Mapping[str, Any]) -> str:
    """One pydantic error (from ``ValidationError.errors()``) as a plain sentence.

    Parameters
    ----------
    error
        A dict with at least ``type`` and ``msg``; ``input`` and ``ctx`` are used when present.

    Examples
    --------
    >>> plain_message({"type": "int_parsing", "msg": "...", "input": "three"})
    "must be a whole number, not 'three'"
    >>> plain_message({"type": "value_error", "msg": "Value error, min_size is too large"})
    'min_size is too large'
    """
    kind = error.get("type", "")
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        cause = ctx.get("error")
        return str(cause) if cause is not None else error["msg"].removeprefix("Value error, ")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known key"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number, not {_shown(value)}"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"must be a number, not {_shown(value)}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        word = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }[kind]
        bound = next(iter(ctx.values()), "?")
        return f"must be {word} {bound}, not {_shown(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, not {_shown(value)}"
    if kind in ("string_type", "string_too_short"):
        return f"must be text, not {_shown(value)}"
    if kind.startswith(("date_", "datetime_")):
        return f"{_shown(value)} is not a date (write YYYY-MM-DD)"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '?')}, not {_shown(value)}"
    if kind in ("list_type", "tuple_type", "set_type"):
        return f'must be a list, like ["a", "b"], not {_shown(value)}'
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a table of keys and values, not {_shown(value)}"
    # Pydantic's msg has no URL (that is only in str(ValidationError)); it is
    # the best remaining fallback for error kinds an organiser will rarely meet.
    return str(error.get("msg", "is not valid"))
