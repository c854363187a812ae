"""report.html: an output folder as one page for people who do not read CSV.

The page is rendered from the folder's own files (``run.json``,
``summary.json`` and ``changes.csv``; see :mod:`peermatch.report.folder`), so
``peermatch report OUT_DIR`` can rewrite it at any time. jinja2 is imported
only when a report is rendered.

Modules
-------
folder
    Reading an output folder back (``run.json``, ``summary.json``, ``changes.csv``).
context
    What the page shows, as plain data (rule titles, figures, tables).
charts
    The page's charts (SVG written directly).
html
    Rendering and writing ``report.html`` (jinja2 templates in ``templates/``).
explain
    ``peermatch explain``: why one person is where they are, from an output folder.
"""

from peermatch.report.folder import (
    REPORT_FILE,
    RUN_FILE,
    FolderError,
    RunFolder,
    read_folder,
    run_json,
)
from peermatch.report.html import failure_report, render_report, report_from_files, write_report

__all__ = [
    "REPORT_FILE",
    "RUN_FILE",
    "FolderError",
    "RunFolder",
    "failure_report",
    "read_folder",
    "render_report",
    "report_from_files",
    "run_json",
    "write_report",
]
