"""report.html in a real browser: headless Chromium renders it with no console message.

Chromium (Debian's ``chromium``; ``.ci/run`` installs it) loads the page from
disk with ``--dump-dom``; with ``--enable-logging=stderr`` it logs every
console message, including blocked loads and Content-Security-Policy
violations, as ``INFO:CONSOLE`` lines, so "no console errors" is checked on
its stderr. Without Chromium the tests skip locally and fail under CI.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_sample import SCRIPT, sample_result

from peermatch.io.writers import write_outputs


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if _ci():
        pytest.fail("chromium is not installed; CI must install it (.ci/run does, as root)")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def _open(page: Path, profile: Path) -> tuple[str, list[str]]:
    """The rendered DOM and Chromium's console lines for ``page``."""
    done = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def test_report_renders_in_chromium_without_console_messages(tmp_path: Path) -> None:
    problem, result = sample_result()
    write_outputs(tmp_path / "out", problem, result)
    dom, console = _open(tmp_path / "out" / "report.html", tmp_path / "profile")
    assert console == []
    assert "<svg" in dom and 'id="rules"' in dom
    match = re.search(r'<section class="card"[^>]*data-cohort="B">(.*?)</section>', dom, re.S)
    assert match is not None, "no card for cohort B in the rendered page"
    card = _text(match.group(1))
    assert card.startswith(
        "Cohort B Meets Tuesdays 14:00 Europe/London Facilitator Fay Two (Coach Co)"
    )
    for i in range(9, 17):
        assert f"p{i}" in card
    assert "Person 10" in card and "Tue 09:00 America/New_York" in card
    # The hostile name is text in the page, not an element.
    assert SCRIPT in _text(dom) and "<script" not in dom


def test_the_console_check_is_sharp(tmp_path: Path) -> None:
    """A page that tries to load from the network shows up as a console line."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'\"></head><body>"
        '<img src="http://example.invalid/x.png"></body></html>',
        encoding="utf-8",
    )
    _, console = _open(page, tmp_path / "profile")
    assert any("example.invalid" in line for line in console)
