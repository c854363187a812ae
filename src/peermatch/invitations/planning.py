"""What to send: the difference between the folder's calendars and the ledger.

The rule is generic, so it holds after ``run``, ``repair`` and ``check
--write`` alike. For every UID of the folder's calendars and every
ATTENDEE of it, compared with the ledger's entry for that address and UID:

- no entry: a REQUEST (``new``);
- a REQUEST with a lower SEQUENCE than the calendar's now: a REQUEST (``update``);
- a CANCEL (the person left, and is back): a REQUEST with a SEQUENCE above
  both the calendar's and the cancellation's (``reinvited``);
- otherwise nothing (``skipped``: already sent).

And for every ledger entry whose address is no longer an ATTENDEE of that
UID (the person left the program, moved to another cohort, or the cohort
was dissolved), when its last message was a REQUEST: a CANCEL with a
SEQUENCE above the person's and at least the calendar's now (``removed``).

Cancellations come first, then invitations, each in the folder's cohort order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from peermatch.invitations.calendars import Invitee, UidCalendar
from peermatch.invitations.ledger import Ledger, Method

__all__ = ["PlannedMessage", "plan"]

Reason = Literal["new", "update", "reinvited", "removed", "unchanged"]


@dataclass(frozen=True)
class PlannedMessage:
    """One message to send (or, in ``skipped``, not to send again).

    Attributes
    ----------
    recipient
        The address.
    name
        The recipient's display name (the calendar's CN, or the ledger's).
    cohort_id, uid
        The cohort and the calendar UID the message is about.
    method
        ``"REQUEST"`` or ``"CANCEL"``.
    sequence
        The SEQUENCE of the message's events.
    reason
        ``"new"``, ``"update"``, ``"reinvited"``, ``"removed"`` (a CANCEL), or
        ``"unchanged"`` (skipped).
    """

    recipient: str
    name: str
    cohort_id: str
    uid: str
    method: Method
    sequence: int
    reason: Reason

    @property
    def invitee(self) -> Invitee:
        """The recipient as a calendar ATTENDEE."""
        return Invitee(self.recipient, self.name)

    def as_json(self) -> dict[str, object]:
        """The message as plain JSON (for tools and the web API)."""
        return {
            "recipient": self.recipient,
            "name": self.name,
            "cohort_id": self.cohort_id,
            "uid": self.uid,
            "method": self.method,
            "sequence": self.sequence,
            "reason": self.reason,
        }


def plan(
    calendars: Sequence[UidCalendar], ledger: Ledger
) -> tuple[list[PlannedMessage], list[PlannedMessage]]:
    """The messages to send, and those skipped because the ledger holds them already.

    Parameters
    ----------
    calendars
        Every UID of the folder's cohort calendars, in cohort order.
    ledger
        What was sent before.

    Returns
    -------
    tuple of list
        ``(planned, skipped)``.
    """
    requests: list[PlannedMessage] = []
    skipped: list[PlannedMessage] = []
    now = {c.uid: c for c in calendars}
    for cal in calendars:
        seen: set[str] = set()
        for person in cal.attendees:
            if person.key in seen:  # one address listed twice gets one message
                continue
            seen.add(person.key)
            entry = ledger.get(person.address, cal.uid)
            item = PlannedMessage(
                person.address, person.name, cal.cohort_id, cal.uid, "REQUEST", cal.sequence, "new"
            )
            if entry is None:
                requests.append(item)
            elif entry.method == "CANCEL":
                sequence = max(cal.sequence, entry.sequence + 1)
                requests.append(_with(item, sequence=sequence, reason="reinvited"))
            elif entry.sequence < cal.sequence:
                requests.append(_with(item, reason="update"))
            else:
                skipped.append(_with(item, sequence=entry.sequence, reason="unchanged"))
    cancels: list[PlannedMessage] = []
    order = {c.uid: n for n, c in enumerate(calendars)}
    for uid, entries in sorted(
        ledger.for_uid().items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])
    ):
        current = now.get(uid)
        present = {a.key for a in current.attendees} if current else set()
        for entry in sorted(entries, key=lambda e: e.key):
            if entry.method != "REQUEST" or entry.recipient.casefold() in present:
                continue
            sequence = max(entry.sequence + 1, current.sequence if current else 0)
            cancels.append(
                PlannedMessage(
                    entry.recipient,
                    entry.name,
                    entry.cohort_id,
                    uid,
                    "CANCEL",
                    sequence,
                    "removed",
                )
            )
    return cancels + requests, skipped


def _with(item: PlannedMessage, **changes: object) -> PlannedMessage:
    from dataclasses import replace

    return replace(item, **changes)  # type: ignore[arg-type]
