"""The rules page's form, generated from :class:`~peermatch.model.ProgramConfig`.

Every program.toml key becomes a form field by walking the pydantic model
(its tables, their fields, the nested ``[solver.*]`` dataclasses), so a key
added to the model appears on the page without a change here. The field's
kind follows its type (a whole number, a number, a date, a choice, a list of
lines, ``name = weight`` lines, raw TOML); the bounds shown come from the
model's constraints. Saving turns the submitted form back into TOML text
(:func:`form_to_toml`) that goes through the same ``PUT inputs/config`` as an
uploaded program.toml, so the library's :func:`~peermatch.io.config.load_config`
is the one validator: a value the form cannot parse is written as a string,
and the library says what is wrong with it.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel

from peermatch.availability import Window, format_availability
from peermatch.model import DateRange, ProgramConfig

__all__ = ["FormField", "FormSection", "config_form", "form_to_toml", "toml_literal"]

#: Top-level config fields that are a table with one key in program.toml.
_ONE_KEY_TABLES = {"similarity": "attributes"}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass
class FormField:
    """One program.toml key as a form control.

    Attributes
    ----------
    name
        The key's dotted TOML path (``cohort.min_size``), also the form field's name.
    key
        The key itself (``min_size``).
    kind
        ``integer``, ``number``, ``text``, ``date``, ``select``, ``checkbox``,
        ``availability``, ``lines`` (one value a line), ``mapping``
        (``name = value`` lines) or ``toml`` (raw TOML lines).
    value
        The current value as the control shows it.
    default
        The model's default, as text (shown as a hint).
    choices
        The allowed values of a ``select``.
    minimum, maximum
        Bounds from the model's constraints, for the browser's own check.
    doc
        A line of help from the model, when it has one.
    """

    name: str
    key: str
    kind: str
    value: str
    default: str
    choices: tuple[str, ...] = ()
    minimum: str | None = None
    maximum: str | None = None
    doc: str = ""


@dataclass
class FormSection:
    """One TOML table (``cohort``, ``solver.neighbourhood``) and its keys."""

    table: str
    fields: list[FormField] = field(default_factory=list)


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` -> ``(X, True)``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _kind(annotation: Any) -> tuple[str, tuple[str, ...]]:
    """The form kind of a field's type (and its choices for a ``select``)."""
    annotation, _ = _strip_optional(annotation)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is bool:
        return "checkbox", ()
    if annotation is int:
        return "integer", ()
    if annotation is float:
        return "number", ()
    if annotation is date:
        return "date", ()
    if origin is Literal:
        return "select", tuple(str(a) for a in args)
    if origin in (tuple, list) and args:
        return ("availability", ()) if args[0] is Window else ("lines", ())
    if origin is dict and len(args) == 2:
        return ("mapping", ()) if args[1] in (int, float) else ("toml", ())
    return "text", ()


def _bounds(metadata: list[Any]) -> tuple[str | None, str | None]:
    low = high = None
    for item in metadata:
        if isinstance(item, annotated_types.Ge | annotated_types.Gt):
            low = str(item.ge if isinstance(item, annotated_types.Ge) else item.gt)
        if isinstance(item, annotated_types.Le | annotated_types.Lt):
            high = str(item.le if isinstance(item, annotated_types.Le) else item.lt)
    return low, high


def toml_literal(value: Any) -> str:
    """A Python value (from tomllib or the model) as a TOML literal.

    >>> toml_literal(["a", 2, True])
    '["a", 2, true]'
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {toml_literal(v)}" for k, v in value.items()) + "}"
    # JSON's string escapes are TOML's, but for DEL, which TOML forbids raw.
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007F")


def _key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else toml_literal(name)


def _shown(value: Any, kind: str) -> str:
    """A value (raw TOML or the model's) as the control's text."""
    if value is None:
        return ""
    if kind == "checkbox":
        return "true" if value else ""
    if kind == "availability":
        if isinstance(value, list | tuple) and value and isinstance(value[0], Window):
            return format_availability(value)
        return "; ".join(value) if isinstance(value, list | tuple) else str(value)
    if kind in ("lines",) and isinstance(value, list | tuple):
        return "\n".join(_item(v) for v in value)
    if kind in ("mapping", "toml") and isinstance(value, Mapping):
        return "\n".join(f"{_key(k)} = {toml_literal(v)}" for k, v in value.items())
    return _item(value)


def _item(value: Any) -> str:
    if isinstance(value, DateRange):
        return str(value.first) if value.first == value.last else f"{value.first}..{value.last}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _fields_of(model: Any) -> Iterator[tuple[str, Any, Any, list[Any], str]]:
    """(name, annotation, default, constraints, doc) of a pydantic model or dataclass."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        for name, info in model.model_fields.items():
            default = info.get_default(call_default_factory=True)
            yield name, info.annotation, default, list(info.metadata), info.description or ""
    elif dataclasses.is_dataclass(model):
        hints = typing.get_type_hints(model)
        for item in dataclasses.fields(model):
            default = (
                item.default_factory()  # type: ignore[misc]
                if item.default is dataclasses.MISSING
                and item.default_factory is not dataclasses.MISSING
                else item.default
            )
            yield item.name, hints[item.name], default, [], ""


def _is_table(annotation: Any) -> bool:
    annotation, _ = _strip_optional(annotation)
    return isinstance(annotation, type) and (
        issubclass(annotation, BaseModel) or dataclasses.is_dataclass(annotation)
    )


def _section(table: str, model: Any, raw: Mapping[str, Any]) -> list[FormSection]:
    """The section of ``model`` (a table) and of its nested tables, after it."""
    here = FormSection(table)
    nested: list[FormSection] = []
    for name, annotation, default, metadata, doc in _fields_of(model):
        path = f"{table}.{name}"
        value = raw.get(name)
        if _is_table(annotation):
            sub = value if isinstance(value, Mapping) else {}
            nested.extend(_section(path, _strip_optional(annotation)[0], sub))
            continue
        kind, choices = _kind(annotation)
        low, high = _bounds(metadata)
        shown_default = _shown(default, kind)
        here.fields.append(
            FormField(
                name=path,
                key=name,
                kind=kind,
                value=shown_default if value is None else _shown(value, kind),
                default=shown_default,
                choices=choices,
                minimum=low,
                maximum=high,
                doc=doc,
            )
        )
    return [here, *nested] if here.fields else nested


def config_form(raw: Mapping[str, Any] | None = None) -> list[FormSection]:
    """Every program.toml key as a form, filled from ``raw`` (a parsed program.toml).

    Parameters
    ----------
    raw
        The program's current TOML as ``tomllib.loads`` returns it (values
        that are wrong still show, so the organiser can correct them); keys
        it lacks show the model's default.

    Returns
    -------
    list of FormSection
        One section per TOML table, in the model's order.
    """
    raw = raw or {}
    sections: list[FormSection] = []
    for name, annotation, default, _, _ in _fields_of(ProgramConfig):
        table_raw = raw.get(name)
        table_raw = table_raw if isinstance(table_raw, Mapping) else {}
        if _is_table(annotation):
            sections.extend(_section(name, annotation, table_raw))
            continue
        kind, _choices = _kind(annotation)
        key = _ONE_KEY_TABLES.get(name, name)
        value = table_raw.get(key) if key != name else (table_raw or None)
        shown_default = _shown(default, kind)
        sections.append(
            FormSection(
                name,
                [
                    FormField(
                        name=f"{name}.{key}" if key != name else name,
                        key=key,
                        kind=kind,
                        value=shown_default if value is None else _shown(value, kind),
                        default=shown_default,
                    )
                ],
            )
        )
    return sections


def _parsed(text: str, kind: str) -> Any:
    """A control's text as a TOML value; ``None`` leaves the key out (its default)."""
    text = text.strip()
    if kind == "checkbox":
        return text.lower() in ("on", "true", "1", "yes")
    if not text:
        return None
    if kind in ("integer", "number"):
        for convert in (int, float):
            try:
                return convert(text)
            except ValueError:
                pass
        return text  # the library's check names it: "must be a whole number, not ..."
    if kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    return text


def _mapping_lines(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if not line.strip():
            continue
        name = name.strip().strip("\"'")
        parsed = _parsed(value, "number") if sep else ""
        out[name] = parsed if parsed is not None else ""
    return out


def form_to_toml(form: Mapping[str, str]) -> str:
    """The submitted rules form as program.toml text.

    Parameters
    ----------
    form
        Field name (a dotted TOML path as :func:`config_form` names it) to
        the submitted text; a checkbox left unticked is simply absent.

    Returns
    -------
    str
        TOML with one ``[table]`` per section; blank fields are left out so
        that the key takes its default.
    """
    lines: list[str] = ["# Written by the peermatch workspace's rules form."]
    for section in config_form():
        body: list[str] = []
        for item in section.fields:
            text = form.get(item.name, "")
            if item.kind == "toml":
                body.extend(line for line in text.splitlines() if line.strip())
                continue
            if item.kind == "mapping":
                mapping = _mapping_lines(text)
                body.extend(f"{_key(k)} = {toml_literal(v)}" for k, v in mapping.items())
                continue
            value = _parsed(text, item.kind)
            # A key left at its default is left out, so the file stays short.
            if value is not None and text.strip() != item.default:
                body.append(f"{_key(item.key)} = {toml_literal(value)}")
        if body:
            lines.extend(["", f"[{section.table}]", *body])
    return "\n".join(lines) + "\n"
