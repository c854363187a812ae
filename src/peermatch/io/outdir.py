"""Publish a folder of files whole or not at all (the contract's ``--out DIR``).

The files are written into a fresh hidden sibling of the target folder
(``.<name>.peermatch-tmp-XXXXXXXX``), each made durable, and the sibling is
then renamed into place. A folder that already exists is replaced only when
it is empty or looks like an earlier peermatch output (it holds
``summary.json``); any other non-empty folder is refused, so a typo in
``--out`` cannot wipe someone's files. A previous output is moved aside
(``.<name>.peermatch-old-XXXXXXXX``) only once the new one is complete, and
deleted after the new one is in place; if anything fails (an exception, a
full disk, Ctrl-C) the old output is put back and the temporary folder
removed.

SIGINT and SIGTERM cannot cut the writing short: within it they are only
recorded (:func:`peermatch.interrupts.critical`) and take effect once the
folder is complete, so a scheduler stopping peermatch never leaves half an
output behind. (SIGKILL cannot be caught: it may leave the hidden temporary
sibling, never a half-written target.)
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from peermatch import interrupts
from peermatch.errors import PeermatchError

__all__ = ["MARKER", "OutputError", "check_output_dir", "fsync_dir", "publish"]

#: The file whose presence marks a folder as an earlier peermatch output.
MARKER = "summary.json"
_TMP_TAG = "peermatch-tmp"
_OLD_TAG = "peermatch-old"


class OutputError(PeermatchError):
    """The output folder cannot be used (not a folder, or holds unrelated files)."""

    exit_code = 2  # the contract's usage error


def fsync_dir(path: Path) -> None:
    """Make a folder's entries durable (after a rename into it); a no-op where folders cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - some platforms cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as fh:
        fh.write(data)


#: Threads that make the written files durable. An fsync waits on the disk, not the
#: interpreter, and concurrent ones share journal commits: 5,000 calendars took 20 s
#: one fsync after another, 6 s written then synced 16 at a time (issue 25).
_SYNC_THREADS = 16


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_files(paths: list[Path]) -> None:
    """Make every file durable before the rename that publishes them.

    After a crash the folder is then either the old one or a complete new one,
    never one with empty files.
    """
    if len(paths) < 2 * _SYNC_THREADS:
        for path in paths:
            _fsync_file(path)
        return
    with ThreadPoolExecutor(_SYNC_THREADS) as pool:
        list(pool.map(_fsync_file, paths))  # list(): an error is raised here


def _sibling(target: Path, tag: str) -> Path:
    """Create (with the user's umask) and return a fresh hidden sibling folder of ``target``."""
    for _ in range(100):
        candidate = target.parent / f".{target.name}.{tag}-{secrets.token_hex(4)}"
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise OutputError(f"cannot create a temporary folder next to {target}")  # pragma: no cover


def _check_target(target: Path) -> bool:
    """Whether ``target`` holds a previous output to replace; raise if it must not be touched."""
    if not target.exists():
        if target.is_symlink():
            raise OutputError(f"{target} is a broken symbolic link")
        return False
    if not target.is_dir():
        raise OutputError(f"{target} exists and is not a folder")
    if not any(target.iterdir()):
        return False
    if (target / MARKER).is_file():
        return True
    raise OutputError(
        f"{target} is not empty and holds no {MARKER}, so it does not look like a "
        "peermatch output; choose another --out folder or empty this one"
    )


def _target(out_dir: str | os.PathLike[str]) -> Path:
    """The absolute output folder; a symbolic link is followed, so the link keeps working."""
    target = Path(out_dir)
    if target.is_symlink():
        target = target.resolve()
    return Path(os.path.abspath(target))


def check_output_dir(out_dir: str | os.PathLike[str]) -> None:
    """Raise :class:`OutputError` now if :func:`publish` would refuse ``out_dir``.

    Lets the command line refuse a bad ``--out`` before spending the solve.
    """
    _check_target(_target(out_dir))


def _restore(old: Path, target: Path) -> bool:
    """Put a previous output moved into ``old`` back at ``target``; False if it stays in ``old``."""
    moved = old / target.name
    if moved.exists() and not target.exists():
        try:
            os.rename(moved, target)
        except OSError:
            return False  # never delete the only copy of the previous output
    if moved.exists():
        return False
    shutil.rmtree(old, ignore_errors=True)
    return True


def publish(out_dir: str | os.PathLike[str], files: Mapping[str, bytes]) -> list[Path]:
    """Write ``files`` (relative POSIX path -> bytes) as the folder ``out_dir``, whole or not at all.

    Parameters
    ----------
    out_dir
        The folder. Created (with its parents) when missing; replaced when
        empty or when it holds a previous peermatch output (``summary.json``).
        A symbolic link is followed and its target replaced.
    files
        The folder's whole content.

    Returns
    -------
    list of pathlib.Path
        The files written, by their final paths, in the order of ``files``.

    Raises
    ------
    OutputError
        When ``out_dir`` is a file, or a non-empty folder that is not a
        previous output. Nothing is written.
    OSError
        When writing fails; the previous output, if any, is left intact and no
        temporary folder remains.
    """
    target = _target(out_dir)
    _check_target(target)
    with interrupts.critical():
        _publish(target, files)
    return [target / rel for rel in files]


def _publish(target: Path, files: Mapping[str, bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(target, _TMP_TAG)
    old: Path | None = None
    try:
        folders: set[Path] = set()
        for rel, data in files.items():
            path = tmp / rel
            if path.parent not in folders:
                path.parent.mkdir(parents=True, exist_ok=True)
                folders.add(path.parent)
            _write_file(path, data)
        _fsync_files([tmp / rel for rel in files])
        for folder in sorted({(tmp / rel).parent for rel in files}, reverse=True):
            fsync_dir(folder)
        # Checked again: the folder may have changed while we were writing.
        if _check_target(target):
            old = _sibling(target, _OLD_TAG)
            os.rename(target, old / target.name)
        elif target.exists():
            target.rmdir()
        os.rename(tmp, target)
        fsync_dir(target.parent)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not _restore(old, target):
            exc.add_note(f"peermatch: the previous output is kept in {old / target.name}")
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
