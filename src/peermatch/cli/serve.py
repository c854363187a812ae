"""``peermatch serve``: the organiser's workspace in a browser (:mod:`peermatch.web`)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click

from peermatch.cli.common import EXIT_USAGE, fail

__all__ = ["default_data_dir", "serve"]

#: The environment variable that fixes the token (otherwise a fresh one each start).
TOKEN_VARIABLE = "PEERMATCH_TOKEN"


def default_data_dir() -> Path:
    """The platform's per-user data folder for peermatch (``~/.local/share/peermatch`` on Linux)."""
    try:
        from platformdirs import user_data_dir
    except ImportError:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(base) / "peermatch"
    return Path(user_data_dir("peermatch", appauthor=False))


def _check_address(host: str, port: int) -> None:
    """Exit 2 with a plain message when ``host:port`` cannot be listened on (in use, unknown)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        fail(
            f"cannot listen on {host}:{port}: {exc.strerror or exc} "
            "(another peermatch serve? try --port)",
            EXIT_USAGE,
        )


@click.command()
@click.option(
    "--data",
    "data",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the workspace's database, inputs and outputs "
    "(default: the per-user data folder, e.g. ~/.local/share/peermatch).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 for every interface (see docs/workspace.md first).",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="TCP port."
)
@click.option("--no-browser", is_flag=True, help="Do not open the workspace in a browser.")
def serve(data: Path | None, host: str, port: int, no_browser: bool) -> None:
    """Run the workspace: programs, runs, the cohorts board with live rule checks, in a browser.

    Prints the address with its token; every request needs that token
    (PEERMATCH_TOKEN fixes it, otherwise a new one each start). Stop with Ctrl-C.
    """
    try:
        import uvicorn

        from peermatch.web import create_app
    except ImportError as exc:
        fail(
            f"peermatch serve needs the web extra ({exc.name} is missing): "
            'pip install -e ".[web]"  (or pip install "peermatch[web]")',
            EXIT_USAGE,
        )
    token = os.environ.get(TOKEN_VARIABLE) or secrets.token_urlsafe(32)
    folder = data if data is not None else default_data_dir()
    _check_address(host, port)
    try:
        app = create_app(folder, token)
    except OSError as exc:
        fail(f"{folder}: cannot use this data folder: {exc}", EXIT_USAGE)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/?token={token}"
    click.echo(f"peermatch workspace: {url}", err=False)
    click.echo(f"data folder: {folder}", err=True)
    if not no_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True)
