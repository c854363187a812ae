"""Bar charts of a cohort's industry and function mix, as inline SVG.

Written as SVG text directly (no plotting library): a panel per attribute,
one horizontal bar per value, the value's name to the left of its bar and
its count at the bar's end. Output is byte-deterministic and safe to
inline: labels are plain text escaped as XML (a ``$`` in a name is just a
dollar sign), and the one element id is prefixed per chart so that charts
on one page never share an id.

Regression (issue 25): the charts were drawn with matplotlib, about 0.1 s
each on a quiet core (0.19 s under load) and 1.5 s for its import; with 39
cohorts the report alone took 4-7 s of a 30 s run whose writing reserve
was under 3 s, and runs at n = 300 ended 4-5 s after their time limit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape

__all__ = ["MAX_CHARTS", "mix_chart"]

#: Above this many cohorts the report draws no charts (their counts stay as tables).
MAX_CHARTS = 60

_COLOURS = {"industry": "#2f6f9f", "function": "#c8743a"}
#: Drawing units: 100 per inch of the former 7.2-inch figure.
_WIDTH = 720
_ROW = 20
_TOP = 32
_CHAR = 7.5
_FONT = 'font-family="DejaVu Sans, sans-serif" font-size="12"'


def _shorten(label: str, width: int = 28) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _panel(attr: str, counts: Sequence[tuple[str, int]], left: float, width: float) -> list[str]:
    """The SVG elements of one attribute's panel, ``width`` units wide from ``left``."""
    labels = [_shorten(v) for v, _ in counts]
    values = [n for _, n in counts]
    label_w = min(_CHAR * max(len(x) for x in labels) + 15, 0.45 * width)
    x0 = left + label_w
    most = max(values, default=1) or 1
    scale = (width - label_w - 40) / most
    colour = _COLOURS.get(attr, "#5b7083")
    out = [
        f'<text x="{left:.1f}" y="{_TOP - 12}" font-size="13" font-weight="bold" '
        f'fill="#1f2933">{escape(attr.capitalize(), quote=False)}</text>'
    ]
    for row, (label, n) in enumerate(zip(labels, values, strict=True)):
        y = _TOP + row * _ROW
        out.append(
            f'<rect x="{x0:.1f}" y="{y + 3}" width="{n * scale:.1f}" height="{_ROW - 6}" '
            f'fill="{colour}"/>'
        )
        middle = y + _ROW / 2 + 4
        out.append(
            f'<text x="{x0 - 4:.1f}" y="{middle:.1f}" text-anchor="end" fill="#1f2933">'
            f"{escape(label, quote=False)}</text>"
        )
        out.append(f'<text x="{x0 + n * scale + 4:.1f}" y="{middle:.1f}" fill="#52606d">{n}</text>')
    return out


def mix_chart(mix: Mapping[str, Sequence[tuple[str, int]]], prefix: str) -> str:
    """One SVG element with a bar panel per attribute: value -> number of members.

    Parameters
    ----------
    mix
        Attribute name -> ``(value, count)`` pairs, largest first.
    prefix
        Prefix for the SVG's element ids; unique on the page, ``[A-Za-z0-9_-]`` only.

    Returns
    -------
    str
        ``<svg ...>...</svg>`` without XML declaration; empty when ``mix`` is empty.
    """
    if not mix or not re.fullmatch(r"[A-Za-z0-9_-]+", prefix):
        return ""
    panels = [(attr, counts) for attr, counts in mix.items() if counts]
    if not panels:
        return ""
    rows = max(len(counts) for _, counts in panels)
    height = _TOP + rows * _ROW + 8
    width = _WIDTH / len(panels)
    body = [e for i, (a, c) in enumerate(panels) for e in _panel(a, c, i * width + 4, width - 8)]
    return (
        f'<svg role="img" id="{prefix}-figure" xmlns="http://www.w3.org/2000/svg" '
        f'width="{_WIDTH}" height="{height}" viewBox="0 0 {_WIDTH} {height}" {_FONT}>'
        + "".join(body)
        + "</svg>"
    )
