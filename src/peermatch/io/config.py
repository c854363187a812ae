"""Reading ``program.toml`` into a :class:`~peermatch.model.ProgramConfig`, and writing it back.

:func:`program_toml` is the one writer: it walks the pydantic model, so every
table (``[solver.*]`` and any table added later) is written and
:func:`read_config` reads the text back to an equal config.

Problems are reported as ``program.toml:LINE:table.key: message``; the line is
found by a light scan of the text (``[table]`` headers and ``key =`` lines,
dotted keys included) and left blank when the key cannot be located, e.g.
for inline tables.

Decisions where the contract is silent
--------------------------------------
- Unknown tables and keys are errors (a misspelt key would otherwise be
  silently ignored and its default used). A key written at the top level
  that belongs in a table is reported with the table it belongs in.
- Numbers must be TOML numbers: ``min_size = "7"`` or ``seed = true`` are
  errors, though a whole float such as ``7.0`` is accepted where an integer
  is expected.
- Dates may be TOML dates (``2027-01-11``) or strings (``"2027-01-11"``);
  ``default_availability`` may be a string or a list of strings (joined
  with ``;``).
- ``[similarity]`` accepts only ``attributes``; ``[diversity]``, ``[limits]``,
  ``[presence]``, ``[required]`` and ``[closeness]`` accept any column name
  (checked against the participants' columns when a problem is read).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from peermatch.availability import Window, format_availability
from peermatch.errors import InputError, InputProblem
from peermatch.io.messages import plain_message
from peermatch.model import (
    CalendarSettings,
    CohortRules,
    DateRange,
    ProgramConfig,
    ProgramInfo,
    ScheduleRules,
    SolverSettings,
)

__all__ = ["ConfigRead", "key_line", "load_config", "program_toml", "read_config"]

_TABLES: dict[str, type[BaseModel] | None] = {
    "program": ProgramInfo,
    "cohort": CohortRules,
    "diversity": None,
    "similarity": None,
    "schedule": ScheduleRules,
    "solver": SolverSettings,
    "calendar": CalendarSettings,
    "limits": None,
    "presence": None,
    "required": None,
    "closeness": None,
}
#: Tables whose keys are participant columns (checked against them when a problem is read).
_COLUMN_TABLES = ("limits", "presence", "required", "closeness")
_TABLE_RE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\s*(#.*)?$")
_KEY_RE = re.compile(r"^\s*([A-Za-z0-9_.\-\"' ]+?)\s*=")


def key_line(text: str, keys: Sequence[str]) -> int | None:
    """The 1-based line of ``[keys[0]]`` (one key) or of ``keys[1] = ...`` in that table.

    >>> key_line("[cohort]\\nmin_size = 7\\n", ["cohort", "min_size"])
    2
    """
    if not keys:
        return None
    want = ".".join(keys[:2])
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if match := _TABLE_RE.match(line):
            table = _unquote(match[1])
            if table == want:
                return number
            continue
        if match := _KEY_RE.match(line):
            full = f"{table}.{_unquote(match[1])}" if table else _unquote(match[1])
            if full == want or (len(keys) == 1 and full.startswith(want + ".")):
                return number
    return None


def _unquote(text: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in text.split("."))


class ConfigRead:
    """The outcome of :func:`load_config`: a config or the problems, plus the raw ladder.

    Attributes
    ----------
    config
        The validated config, ``None`` when there were problems.
    problems
        Every problem found.
    levels
        The ``[cohort] levels`` ladder when it is a list of strings, even if
        another part of the config is invalid, so that participants' levels
        can still be checked against the organiser's ladder.
    """

    def __init__(
        self,
        config: ProgramConfig | None,
        problems: list[InputProblem],
        levels: tuple[str, ...] | None,
    ):
        self.config = config
        self.problems = problems
        self.levels = levels


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _precheck(
    table: str, model: type[BaseModel], values: dict[str, Any], report: Any
) -> dict[str, Any]:
    """Reject strings and booleans for numeric keys (pydantic's lax mode would accept them).

    Returns the values that passed, so that later checks do not repeat the complaint.
    """
    kept: dict[str, Any] = {}
    for key, value in values.items():
        info = model.model_fields.get(key)
        if info is not None and info.annotation in (int, float) and not _is_number(value):
            kind = "a whole number" if info.annotation is int else "a number"
            report([table, key], f"must be {kind}, not {_toml(value)}")
        else:
            kept[key] = value
    return kept


def load_config(path: str | Path, *, file: str | None = None) -> ConfigRead:
    """Read and validate ``program.toml``; never raises for bad input.

    Parameters
    ----------
    path
        The TOML file.
    file
        The name used in problems; ``str(path)`` by default.
    """
    name = file if file is not None else str(path)
    problems: list[InputProblem] = []
    parsed = _read_toml(path, name)
    if isinstance(parsed, InputProblem):
        return ConfigRead(None, [parsed], None)
    text, raw = parsed

    def report(keys: Sequence[str], message: str) -> None:
        keys = [str(k) for k in keys]
        problems.append(InputProblem(name, key_line(text, keys), ".".join(keys), message))

    data: dict[str, Any] = {}
    for table, values in raw.items():
        if table not in _TABLES:
            owner = [t for t, m in _TABLES.items() if m is not None and table in m.model_fields]
            hint = f"; did you mean '{table}' under [{owner[0]}]?" if owner else ""
            report(
                [table],
                f"unknown table or key '{table}' (known tables: {', '.join(_TABLES)}){hint}",
            )
            continue
        if not isinstance(values, dict):
            report([table], f"must be a table ([{table}]), not a single value")
            continue
        model = _TABLES[table]
        if table == "similarity":
            for key in values:
                if key != "attributes":
                    report(
                        [table, key],
                        f"unknown key '{key}' in [similarity] (known keys: attributes)",
                    )
            data["similarity"] = values.get("attributes", [])
            continue
        if table == "diversity":
            weights = {}
            for key, weight in values.items():
                if _is_number(weight):
                    weights[key] = weight
                else:
                    report(
                        [table, key], f"the weight of '{key}' must be a number, not {_toml(weight)}"
                    )
            data["diversity"] = weights
            continue
        if table in _COLUMN_TABLES:
            data[table] = values
            continue
        assert model is not None
        for key in values:
            if key not in model.model_fields:
                report(
                    [table, key],
                    f"unknown key '{key}' in [{table}] (known keys: {', '.join(model.model_fields)})",
                )
        values = {k: v for k, v in values.items() if k in model.model_fields}
        values = _precheck(table, model, values, report)
        if table == "schedule":
            values = _schedule_values(values)
        data[table] = values
    levels = _raw_levels(raw)
    try:
        config = ProgramConfig.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = [str(p) for p in error["loc"] if not isinstance(p, int)]
            if loc and loc[0] == "similarity":
                loc = ["similarity", "attributes"]
            report(loc, plain_message(error))
        return ConfigRead(None, problems, levels)
    if problems:
        return ConfigRead(None, problems, levels)
    return ConfigRead(config, [], config.cohort.levels)


def _read_toml(path: str | Path, name: str) -> tuple[str, dict[str, Any]] | InputProblem:
    """The file's text and its TOML tables, or the one problem that stops reading it."""
    try:
        raw_bytes = Path(path).read_bytes()
    except IsADirectoryError:
        return InputProblem(name, None, None, "is a directory, not a TOML file")
    except OSError as exc:
        return InputProblem(name, None, None, f"cannot be read ({exc.strerror or exc})")
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        return InputProblem(name, None, None, "is not UTF-8 text")
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(found[1]) if found else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        return InputProblem(name, line, None, f"is not valid TOML: {message}")


def _schedule_values(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    dates = values.get("blackout_dates")
    if isinstance(dates, list):
        values["blackout_dates"] = [
            d.isoformat() if isinstance(d, date) and not isinstance(d, datetime) else d
            for d in dates
        ]
    default = values.get("default_availability")
    if isinstance(default, list) and all(isinstance(d, str) for d in default):
        values["default_availability"] = "; ".join(default)
    return values


def _raw_levels(raw: dict[str, Any]) -> tuple[str, ...] | None:
    cohort = raw.get("cohort")
    levels = cohort.get("levels") if isinstance(cohort, dict) else None
    if isinstance(levels, list) and levels and all(isinstance(t, str) for t in levels):
        return tuple(levels)
    return None


def read_config(path: str | Path) -> ProgramConfig:
    """Read ``program.toml``.

    Parameters
    ----------
    path
        The TOML file; every key has the contract's default.

    Returns
    -------
    ProgramConfig

    Raises
    ------
    InputError
        Listing every problem: unknown tables or keys, wrong types, values out
        of range, sizes that do not fit together, malformed dates.
    """
    result = load_config(path)
    if result.config is None:
        raise InputError(result.problems)
    return result.config


# Top-level fields the contract writes as a table with one key: [similarity] attributes = [...].
_WRAPPED = {"similarity": "attributes"}


def program_toml(config: ProgramConfig, *, comment: str | None = None) -> str:
    """``config`` as a ``program.toml`` text that :func:`read_config` reads back equal.

    Every table of :class:`~peermatch.model.ProgramConfig` is written with
    all its keys, found by walking the model, so tables added to the model
    are written too. Keys that are ``None`` are left out (they read back as
    ``None``: ``diversity = None`` writes no ``[diversity]`` table, which
    reads back as "industry and function"; an empty ``[diversity]`` table
    would mean "no diversity"). Sub-tables such as ``[solver.neighbourhood]``
    hold only the keys that differ from their defaults, so that a written
    file does not pin today's tuning.

    Parameters
    ----------
    config
        The program.
    comment
        A first line, written as a TOML comment (e.g. who wrote the file).

    Examples
    --------
    >>> from peermatch.model import ProgramConfig
    >>> print(program_toml(ProgramConfig()).splitlines()[0])
    [program]
    """
    document: dict[str, Any] = {}
    for name in type(config).model_fields:
        value = getattr(config, name)
        if value is None:
            continue
        if name in _WRAPPED:
            document[name] = {_WRAPPED[name]: _plain(value)}
        else:
            document[name] = _plain(value)
    text = tomli_w.dumps(document)
    return f"# {comment}\n\n{text}" if comment else text


def _table(obj: BaseModel | Any) -> dict[str, Any]:
    """A model's or dataclass's fields, without ``None``; nested tables only where not default."""
    if isinstance(obj, BaseModel):
        names = list(type(obj).model_fields)
    else:
        names = [f.name for f in dataclasses.fields(obj)]
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(obj, name)
        if value is None:
            continue
        plain = _plain(value)
        if isinstance(plain, dict) and _is_table(value):
            plain = {k: v for k, v in plain.items() if v != _plain_default(value, k)}
            if not plain:
                continue
        out[name] = plain
    return out


def _is_table(value: Any) -> bool:
    return isinstance(value, BaseModel | Mapping) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )


def _plain_default(table: Any, key: str) -> Any:
    """The written form of ``key``'s default in a table of ``table``'s type (``None``: no default)."""
    if isinstance(table, Mapping):
        return None  # a free-form table (e.g. [solver.cpsat]) has no defaults
    try:
        return _plain(getattr(type(table)(), key))
    except (TypeError, ValueError):
        return None


def _plain(value: Any) -> Any:
    """``value`` in the form program.toml writes it (TOML types only)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, DateRange):
        first, last = value.first.isoformat(), value.last.isoformat()
        return first if first == last else f"{first}..{last}"
    if isinstance(value, BaseModel) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    ):
        return _table(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, tuple | list):
        if value and all(isinstance(w, Window) for w in value):
            return format_availability(value)
        return [_plain(v) for v in value]
    return value
