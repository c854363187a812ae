"""The rules form: generated from ProgramConfig, and back to TOML the library accepts."""

from __future__ import annotations

import dataclasses
import tempfile
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from peermatch.io.config import ConfigRead, load_config, read_config
from peermatch.model import ProgramConfig, normalise_key
from peermatch.web.forms import config_form, form_to_toml

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "examples" / "program.toml"


def _submitted(sections: list) -> dict[str, str]:
    """What a browser sends for the form as shown (an unticked checkbox is absent)."""
    return {
        f.name: f.value
        for s in sections
        for f in s.fields
        if not (f.kind == "checkbox" and not f.value)
    }


def _model_keys(model: object, prefix: str) -> set[str]:
    keys: set[str] = set()
    if isinstance(model, type) and issubclass(model, BaseModel):
        items = [(n, i.annotation) for n, i in model.model_fields.items()]
    else:
        items = [(f.name, f.type) for f in dataclasses.fields(model)]  # type: ignore[arg-type]
    for name, annotation in items:
        nested = annotation if isinstance(annotation, type) else None
        if nested is not None and (
            issubclass(nested, BaseModel) or dataclasses.is_dataclass(nested)
        ):
            keys |= _model_keys(nested, f"{prefix}{name}.")
        else:
            keys.add(f"{prefix}{name}")
    return keys


def test_every_program_toml_key_is_a_form_field() -> None:
    names = {f.name for s in config_form() for f in s.fields}
    expected = _model_keys(ProgramConfig, "")
    # [similarity] is a table with one key, attributes, in program.toml.
    expected = {"similarity.attributes" if k == "similarity" else k for k in expected}
    assert names == expected


def test_the_example_survives_the_form_unchanged() -> None:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    text = form_to_toml(_submitted(config_form(raw)))
    result = load_config_text(text)
    assert result.problems == []
    assert result.config == read_config(EXAMPLE)


def load_config_text(text: str) -> ConfigRead:
    """The library's own reading of ``text`` as program.toml."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "program.toml"
        path.write_text(text, encoding="utf-8")
        return load_config(path, file="program.toml")


def test_an_edit_in_the_form_reaches_the_config() -> None:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    form = _submitted(config_form(raw))
    form["cohort.max_size"] = "10"
    form["schedule.topics"] = "One\n\nTwo\n"
    form["diversity"] = "industry = 2\nweird name = 0.5"
    config = load_config_text(form_to_toml(form)).config
    assert config is not None
    assert config.cohort.max_size == 10
    assert config.schedule.topics == ("One", "Two")
    assert config.diversity == {"industry": 2.0, normalise_key("weird name"): 0.5}


@pytest.mark.parametrize(
    ("name", "text", "column", "words"),
    [
        ("cohort.min_size", "seven", "cohort.min_size", "whole number"),
        ("cohort.min_size", "13", "cohort", "larger than max_size"),
        ("schedule.timezone", "Mars/Olympus", "schedule.timezone", "Mars/Olympus"),
        ("calendar.mode", "weekly", "calendar.mode", "weekly"),
    ],
)
def test_the_library_judges_what_the_form_sends(
    name: str, text: str, column: str, words: str
) -> None:
    form = _submitted(config_form())
    form[name] = text
    problems = load_config_text(form_to_toml(form)).problems
    assert problems, f"{name} = {text!r} was accepted"
    assert any(p.column == column and words in p.message for p in problems), problems


def test_strings_are_escaped_as_toml() -> None:
    form = _submitted(config_form())
    form["program.name"] = 'Quote " backslash \\ tab\t del\x7f ünï'
    config = load_config_text(form_to_toml(form)).config
    assert config is not None
    assert config.program.name == 'Quote " backslash \\ tab\t del\x7f ünï'
