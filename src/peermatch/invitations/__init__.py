"""Send each cohort's calendar as an invitation that calendar clients accept (``peermatch invite``).

Example::

    from peermatch.invitations import invite, SmtpSettings

    outcome = invite(Path("out"), sender="Programme Office <office@example.org>",
                     smtp=SmtpSettings("smtp.example.org", 587, "starttls", "office", password))
    print(outcome.stopped or f"{len(outcome.sent)} sent")

One message per recipient and calendar UID (in series mode, the default,
a cohort calendar has one UID: one message per recipient and cohort, so a
facilitator of two cohorts gets two). What to send is planned from the
folder's calendars and the ledger ``invitations.json``
(:mod:`~peermatch.invitations.planning`): new attendees get a REQUEST,
attendees of a calendar whose SEQUENCE rose an update, people no longer
attending a CANCEL, everybody else nothing. Each accepted message is
recorded in the ledger at once (:mod:`~peermatch.invitations.ledger`), so an
interrupted delivery, run again, sends only the rest.

Modules: :mod:`~peermatch.invitations.calendars` (the calendars, from the
folder's), :mod:`~peermatch.invitations.messages` (the e-mails),
:mod:`~peermatch.invitations.ledger`, :mod:`~peermatch.invitations.planning`,
:mod:`~peermatch.invitations.delivery` (SMTP or ``.eml`` files).

Errors
------
:func:`invite` raises a :class:`~peermatch.errors.PeermatchError` (exit 1)
before sending anything when the folder is not a peermatch output, a
calendar or the ledger cannot be read, or an address is unusable. When the
server refuses a message or the connection fails partway, :func:`invite`
does *not* raise: it returns the outcome with ``stopped`` saying why
(``outcome.sent`` holds what was accepted, and the ledger too);
:meth:`InviteOutcome.raise_if_stopped` turns that into
:class:`DeliveryStopped` (exit 6) for callers that prefer an exception.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from pathlib import Path
from typing import ClassVar

from icalendar import Calendar

from peermatch.errors import PeermatchError
from peermatch.invitations.calendars import (
    UidCalendar,
    cancel_calendar,
    digest,
    folder_calendars,
)
from peermatch.invitations.delivery import (
    DeliveryError,
    EmlTransport,
    SmtpSettings,
    SmtpTransport,
    Transport,
)
from peermatch.invitations.ledger import LEDGER_FILE, Ledger, LedgerEntry
from peermatch.invitations.messages import (
    AddressError,
    build_message,
    letter,
    mail_address,
    parse_sender,
    people_by_address,
)
from peermatch.invitations.planning import PlannedMessage, plan
from peermatch.io.ical import calendar_bytes, dtstamp
from peermatch.io.ical_events import natural_key
from peermatch.model import ProblemData
from peermatch.solution import Cohort

__all__ = [
    "LEDGER_FILE",
    "DeliveryStopped",
    "InviteError",
    "InviteOutcome",
    "PlannedMessage",
    "SmtpSettings",
    "invite",
]

#: Where ``.eml`` files go by default, inside the output folder.
EML_FOLDER = "invitations"
_LOCK = ".invitations.lock"


class InviteError(PeermatchError):
    """The folder cannot be sent from (no cohorts, another delivery running)."""


@dataclass(frozen=True)
class InviteOutcome:
    """What :func:`invite` planned, sent and skipped.

    Attributes
    ----------
    planned
        Every message that was to be sent this time (all of them in a dry run).
    sent
        The messages accepted now (by the server, or written as ``.eml``), a prefix of ``planned``.
    skipped
        Recipients and UIDs left alone because the ledger shows them up to date.
    stopped
        Why delivery stopped partway, or ``None`` when every planned message was sent.
    delivery
        ``"smtp"``, ``"eml"`` or ``"dry-run"``.
    """

    planned: tuple[PlannedMessage, ...]
    sent: tuple[PlannedMessage, ...]
    skipped: tuple[PlannedMessage, ...]
    stopped: str | None = None
    delivery: str = "dry-run"

    def raise_if_stopped(self) -> None:
        """Raise :class:`DeliveryStopped` when delivery stopped partway."""
        if self.stopped is not None:
            raise DeliveryStopped(self)

    def as_json(self) -> dict[str, object]:
        """The outcome as plain JSON (for tools and the web API)."""
        return {
            "delivery": self.delivery,
            "planned": [m.as_json() for m in self.planned],
            "sent": [m.as_json() for m in self.sent],
            "skipped": [m.as_json() for m in self.skipped],
            "stopped": self.stopped,
        }


class DeliveryStopped(PeermatchError):
    """Delivery stopped partway; ``outcome`` says what was sent (and the ledger holds it)."""

    exit_code: ClassVar[int] = 6

    def __init__(self, outcome: InviteOutcome) -> None:
        self.outcome = outcome
        done, total = len(outcome.sent), len(outcome.planned)
        super().__init__(
            f"delivery stopped after {done} of {total} messages: {outcome.stopped}\n"
            f"{LEDGER_FILE} records the {done} sent; run the same command again "
            f"to send the other {total - done}"
        )


@contextmanager
def _exclusive(out_dir: Path) -> Iterator[None]:
    """One delivery per folder at a time (the command line and the workspace may both try)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks, no guard
        yield
        return
    try:
        handle = open(out_dir / _LOCK, "a")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise InviteError(
            f"{out_dir}: cannot write in this folder: {exc.strerror or exc}"
        ) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InviteError(
                f"{out_dir}: another 'peermatch invite' is delivering from this folder; "
                "wait until it has finished"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _with_sequence(data: bytes, sequence: int) -> bytes:
    cal = Calendar.from_ical(data)
    for event in cal.walk("VEVENT"):
        event.pop("SEQUENCE", None)
        event.add("SEQUENCE", sequence)
    return calendar_bytes(cal)


def _calendar(
    item: PlannedMessage, current: dict[str, UidCalendar], ledger: Ledger, when: datetime
) -> tuple[bytes, str | None]:
    """The message's calendar, and the cancellation template to keep (REQUESTs only)."""
    if item.method == "CANCEL":
        template = ledger.templates.get(item.uid, "")
        if not template and item.uid in current:
            template = current[item.uid].template
        return cancel_calendar(template, item.sequence, item.invitee, when, item.uid), None
    cal = current[item.uid]
    data = cal.request
    if item.sequence != cal.sequence:
        data = _with_sequence(data, item.sequence)
    return data, cal.template


def _check_addresses(planned: list[PlannedMessage]) -> None:
    bad = []
    for item in planned:
        try:
            mail_address(item.recipient, item.name)
        except AddressError as exc:
            bad.append(f"cohort {item.cohort_id}, {item.name or item.recipient}: {exc}")
    if bad:
        raise AddressError("\n".join([*bad, "nothing was sent"]))


def invite(
    out_dir: Path,
    *,
    sender: str,
    smtp: SmtpSettings | None = None,
    eml_dir: Path | None = None,
    dry_run: bool = False,
) -> InviteOutcome:
    """Send the folder's cohort calendars as invitations (only what the ledger lacks).

    Parameters
    ----------
    out_dir
        An output folder of ``peermatch run``, ``repair`` or ``check --write``.
    sender
        The From address: ``office@example.org`` or ``Office <office@example.org>``.
    smtp
        The server to send through; ``None`` writes ``.eml`` files instead.
    eml_dir
        Where ``.eml`` files go (without ``smtp``); default ``out_dir/invitations``.
    dry_run
        Plan only: nothing is sent and nothing written.

    Returns
    -------
    InviteOutcome
        With ``stopped`` set when delivery stopped partway (see the module docstring).

    Raises
    ------
    peermatch.errors.PeermatchError
        Before anything is sent: not an output folder (``FolderError``), an
        unreadable calendar or ledger, a bad sender or recipient address
        (``AddressError``), a run without cohorts or a delivery already
        running from the folder (:class:`InviteError`).
    """
    from peermatch.report import read_folder

    out_dir = Path(out_dir)
    folder = read_folder(out_dir)
    if folder.solution is None:
        raise InviteError(f"{out_dir}: the run found no cohorts; there is nothing to send")
    from_address = parse_sender(sender)
    cohorts = {c.id: c for c in folder.solution.cohorts}
    ids = sorted(cohorts, key=natural_key)
    current = folder_calendars(out_dir, ids)
    if dry_run:
        planned, skipped = plan(current, Ledger.load(out_dir / LEDGER_FILE))
        _check_addresses(planned)
        return InviteOutcome(tuple(planned), (), tuple(skipped), None, "dry-run")
    transport: Transport = (
        SmtpTransport(smtp, from_address.addr_spec)
        if smtp is not None
        else EmlTransport(eml_dir if eml_dir is not None else out_dir / EML_FOLDER)
    )
    with _exclusive(out_dir):
        ledger = Ledger.load(out_dir / LEDGER_FILE)
        planned, skipped = plan(current, ledger)
        _check_addresses(planned)
        context = _Context(folder.problem, cohorts, current, ledger, from_address, out_dir)
        try:
            sent, stopped = context.deliver(planned, transport)
        finally:
            transport.close()
    return InviteOutcome(tuple(planned), tuple(sent), tuple(skipped), stopped, transport.kind)


class _Context:
    """What delivering needs to know, so that :meth:`deliver` stays short."""

    def __init__(
        self,
        problem: ProblemData,
        cohorts: dict[str, Cohort],
        current: list[UidCalendar],
        ledger: Ledger,
        sender: Address,
        out_dir: Path,
    ) -> None:
        self.problem = problem
        self.cohorts = cohorts
        self.current = {c.uid: c for c in current}
        self.ledger = ledger
        self.sender = sender
        self.path = out_dir / LEDGER_FILE
        self.people = people_by_address(problem)

    def person_id(self, item: PlannedMessage) -> str:
        person = self.people.get(item.recipient.strip().casefold())
        if person is not None:
            return person.id
        earlier = self.ledger.get(item.recipient, item.uid)
        return earlier.person_id if earlier else ""

    def deliver(
        self, planned: list[PlannedMessage], transport: Transport
    ) -> tuple[list[PlannedMessage], str | None]:
        """Send ``planned`` in order, recording each accepted message; stop at the first failure."""
        sent: list[PlannedMessage] = []
        for item in planned:
            when = dtstamp()
            data, template = _calendar(item, self.current, self.ledger, when)
            checksum = digest(data)
            facts = letter(self.problem, self.cohorts, self.people, item)
            message = build_message(
                item, data, facts, sender=self.sender, when=when, calendar_digest=checksum
            )
            person_id = self.person_id(item)
            try:
                transport.send(message, item, person_id)
            except DeliveryError as exc:
                return sent, str(exc)
            except KeyboardInterrupt:
                # The ledger holds every message accepted before this one: a re-run resumes.
                return sent, f"interrupted while sending to {item.recipient}"
            sent.append(item)
            entry = LedgerEntry(
                recipient=item.recipient,
                name=item.name,
                person_id=person_id,
                cohort_id=item.cohort_id,
                uid=item.uid,
                method=item.method,
                sequence=item.sequence,
                digest=checksum,
                message_id=str(message["Message-ID"]),
                at=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                delivery=transport.kind,
            )
            self.ledger.record(entry, template)
            try:
                self.ledger.save(self.path)
            except OSError as exc:
                return sent, (
                    f"the message to {item.recipient} was sent but {self.path} could not be "
                    f"written ({exc.strerror or exc}); a re-run sends that message once more"
                )
        return sent, None
