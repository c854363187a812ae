"""Bar charts of a cohort's industry and function mix, as inline SVG.

Drawn with matplotlib (imported only when a chart is drawn) on a bare
:class:`~matplotlib.figure.Figure`, so no pyplot state or GUI backend is
involved. Output is byte-deterministic (fixed ``svg.hashsalt``, no date in
the metadata) and safe to inline: labels are plain text (mathtext off, so a
``$`` in a name is just a dollar sign), matplotlib escapes them as XML, and
every element id is prefixed per chart so that charts on one page never
share an id.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["MAX_CHARTS", "mix_chart"]

#: Above this many cohorts the report draws no charts (their counts stay as tables):
#: a chart costs tens of milliseconds, and a run's time limit covers writing the report.
MAX_CHARTS = 60

_RC: dict[str, Any] = {
    "svg.hashsalt": "peermatch",
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9aa5b1",
    "xtick.color": "#52606d",
    "ytick.color": "#1f2933",
}
_COLOURS = {"industry": "#2f6f9f", "function": "#c8743a"}
_WIDTH_IN = 7.2
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^")]+)')


def _shorten(label: str, width: int = 28) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _draw(fig: Any, mix: Mapping[str, Sequence[tuple[str, int]]], rows: int) -> None:
    # Axes placed by hand and labelled directly (values at the bar ends, no tick
    # machinery): a third of the drawing time of ticks and constrained layout.
    panels = list(mix.items())
    width = 1 / len(panels)
    height_in = fig.get_figheight()
    bottom, top = 0.08 / height_in, 1 - 0.32 / height_in
    for i, (attr, counts) in enumerate(panels):
        labels = [_shorten(v) for v, _ in counts]
        values = [n for _, n in counts]
        label_in = min(0.075 * max(len(x) for x in labels) + 0.15, 0.45 * width * _WIDTH_IN)
        left = i * width + label_in / _WIDTH_IN
        ax = fig.add_axes((left, bottom, (i + 1) * width - left - 0.03, top - bottom))
        ax.set_axis_off()
        ax.barh(range(len(values)), values, color=_COLOURS.get(attr, "#5b7083"), height=0.72)
        most = max(values, default=1)
        ax.set_xlim(0, most * 1.12 + 0.2)
        ax.set_ylim(rows - 0.5, -0.5)  # largest first, at the top; panels aligned at the top
        for y, (label, n) in enumerate(zip(labels, values, strict=True)):
            ax.text(-0.02 * most, y, label, ha="right", va="center", color="#1f2933")
            ax.text(n + 0.03 * most, y, str(n), ha="left", va="center", color="#52606d")
        ax.text(0, -0.62, attr.capitalize(), ha="left", va="bottom", fontsize=10, fontweight="bold")


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
    import matplotlib
    from matplotlib.figure import Figure

    rows = max(len(v) for v in mix.values())
    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        fig = Figure(figsize=(_WIDTH_IN, 0.45 + 0.2 * rows))
        _draw(fig, mix, rows)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # The RDF metadata names web addresses (never fetched); a report needs none of it.
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
    return svg.replace("<svg ", '<svg role="img" ', 1)
