"""The ledger ``OUT_DIR/invitations.json``: what each recipient was sent for each calendar UID.

Layout (stable; new keys may be added)::

    {"format": "peermatch-invitations", "version": 1,
     "sent": [{"recipient": "ana@example.org", "name": "Ana", "person_id": "P001",
               "cohort_id": "C01", "uid": "prog-C01@peermatch", "method": "REQUEST",
               "sequence": 0, "digest": "sha256:...", "message_id": "<...>",
               "at": "2027-01-04T09:00:00Z", "delivery": "smtp"}, ...],
     "templates": {"prog-C01@peermatch": "BEGIN:VCALENDAR..."}}

``sent`` holds one entry per recipient (address, compared case-folded) and
UID: the last message that the server accepted (or that was written as an
``.eml`` file). ``digest`` is the sha256 of that message's calendar.
``templates`` keeps, per UID, the event a cancellation is built from (see
:mod:`peermatch.invitations.calendars`).

The file is rewritten after every accepted message, atomically (a
temporary file in the same folder, flushed to disk, then renamed over the
old one), so a crash or a lost connection loses at most the message in
flight, and a reader never sees half a ledger.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from peermatch.errors import PeermatchError
from peermatch.io.ical_events import natural_key
from peermatch.io.outdir import fsync_dir

__all__ = ["LEDGER_FILE", "Ledger", "LedgerEntry", "LedgerError"]

#: The ledger's file name in an output folder.
LEDGER_FILE = "invitations.json"
_FORMAT = "peermatch-invitations"
_VERSION = 1

Method = Literal["REQUEST", "CANCEL"]


class LedgerError(PeermatchError):
    """invitations.json exists but cannot be read or is not a peermatch ledger."""


@dataclass(frozen=True)
class LedgerEntry:
    """The last message one recipient was sent for one UID."""

    recipient: str
    name: str
    person_id: str
    cohort_id: str
    uid: str
    method: Method
    sequence: int
    digest: str
    message_id: str
    at: str
    delivery: str

    @property
    def key(self) -> tuple[str, str]:
        """(case-folded address, UID): one entry each."""
        return (self.recipient.casefold(), self.uid)


class Ledger:
    """The entries of invitations.json, and the cancellation templates, in memory."""

    def __init__(
        self, entries: list[LedgerEntry] | None = None, templates: dict[str, str] | None = None
    ) -> None:
        self.entries: dict[tuple[str, str], LedgerEntry] = {}
        self.templates: dict[str, str] = dict(templates or {})
        # Each entry's sort key and JSON line, made once: the file is rewritten after every
        # message, and encoding every entry each time made a 1,200-entry ledger cost 0.1 s.
        self._rows: dict[tuple[str, str], tuple[Any, str]] = {}
        for entry in entries or []:
            self.record(entry)

    @classmethod
    def load(cls, path: Path) -> Ledger:
        """Read ``path``; a missing file is an empty ledger.

        Raises
        ------
        LedgerError
            When the file cannot be read, is not JSON, or is not a peermatch ledger.
        """
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls()
        except OSError as exc:
            raise LedgerError(f"{path}: cannot read the ledger: {exc.strerror or exc}") from None
        try:
            data = json.loads(raw.decode("utf-8"))
            if data.get("format") != _FORMAT:
                raise ValueError("not a peermatch invitations ledger")
            if not isinstance(data.get("version"), int) or data["version"] > _VERSION:
                raise ValueError(f"version {data.get('version')}; this peermatch reads 1")
            entries = [_entry(item) for item in data.get("sent", [])]
            templates = {str(k): str(v) for k, v in data.get("templates", {}).items()}
        except (UnicodeDecodeError, ValueError, TypeError, AttributeError, KeyError) as exc:
            raise LedgerError(
                f"{path}: {exc}; move the file aside to start a new ledger "
                "(everyone is then sent their invitation again)"
            ) from None
        return cls(entries, templates)

    def get(self, address: str, uid: str) -> LedgerEntry | None:
        """The entry for this recipient and UID, if any."""
        return self.entries.get((address.casefold(), uid))

    def for_uid(self) -> dict[str, list[LedgerEntry]]:
        """UID -> its entries."""
        out: dict[str, list[LedgerEntry]] = {}
        for entry in self.entries.values():
            out.setdefault(entry.uid, []).append(entry)
        return out

    def record(self, entry: LedgerEntry, template: str | None = None) -> None:
        """Record ``entry`` (replacing the recipient's earlier one for that UID)."""
        self.entries[entry.key] = entry
        order = (natural_key(entry.cohort_id), entry.uid, entry.key)
        self._rows[entry.key] = (order, "  " + _dumps(dataclasses.asdict(entry)))
        if template:
            self.templates[entry.uid] = template

    def to_bytes(self) -> bytes:
        """The file's bytes: entries by cohort (natural order), UID and recipient."""
        sent = ",\n".join(line for _, line in sorted(self._rows.values()))
        templates = ",\n".join(
            f"  {_dumps(uid)}: {_dumps(text)}" for uid, text in sorted(self.templates.items())
        )
        text = (
            f'{{"format": {_dumps(_FORMAT)}, "version": {_VERSION},\n'
            f' "sent": [\n{sent}\n ],\n "templates": {{\n{templates}\n }}}}\n'
        )
        return text.encode("utf-8")

    def save(self, path: Path) -> None:
        """Write the ledger to ``path`` atomically (see the module docstring)."""
        write_atomic(path, self.to_bytes())


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _entry(item: Any) -> LedgerEntry:
    if not isinstance(item, dict):
        raise ValueError("an entry of 'sent' is not an object")
    method = item["method"]
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"an entry has method '{method}' (REQUEST or CANCEL)")
    sequence = item["sequence"]
    if not isinstance(sequence, int) or isinstance(sequence, bool):
        raise ValueError(f"an entry has sequence {sequence!r}, not an integer")
    return LedgerEntry(
        recipient=str(item["recipient"]),
        name=str(item.get("name", "")),
        person_id=str(item.get("person_id", "")),
        cohort_id=str(item["cohort_id"]),
        uid=str(item["uid"]),
        method=method,
        sequence=sequence,
        digest=str(item.get("digest", "")),
        message_id=str(item.get("message_id", "")),
        at=str(item.get("at", "")),
        delivery=str(item.get("delivery", "")),
    )


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: a temporary sibling, fsync, rename, fsync of the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
