"""Handing messages over: to an SMTP server (:mod:`smtplib`), or as ``.eml`` files.

SMTP
    One connection for the whole delivery: ``ssl`` (SMTPS, port 465 by
    default), ``starttls`` (port 587) or ``none`` (port 25; for a relay on
    this machine or network). TLS certificates are verified with the
    system's trust store. The password is the caller's; the command line
    reads it from ``PEERMATCH_SMTP_PASSWORD``, never from a flag.
``.eml`` files
    One file per message, named from the cohort id, the person's id (or a
    placeholder) and the method, made portable (letters, digits, ``.``,
    ``_``, ``-``), plus a short hash of address and UID that keeps two names
    apart: never a raw user string as a path. Each file is written
    atomically, with ``X-Unsent: 1`` so that Outlook opens it as a message
    ready to send.

A transport raises :class:`DeliveryError` with a sentence for the organiser
when the server refuses a message or the connection fails.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Literal, Protocol

from peermatch.invitations.ledger import write_atomic
from peermatch.invitations.planning import PlannedMessage

__all__ = [
    "DeliveryError",
    "EmlTransport",
    "SmtpSettings",
    "SmtpTransport",
    "Transport",
    "eml_name",
]

Security = Literal["starttls", "ssl", "none"]
_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the SMTP server.

    Attributes
    ----------
    host
        The server's name or address.
    port
        Its port (587 is usual for ``starttls``, 465 for ``ssl``, 25 for ``none``).
    security
        ``"starttls"`` (upgrade the connection), ``"ssl"`` (TLS from the
        start) or ``"none"`` (plain, for a trusted relay).
    user, password
        Log in with these when ``user`` is set.
    timeout
        Seconds to wait for the server before giving up on the connection.
    """

    host: str
    port: int
    security: Security
    user: str | None = None
    password: str | None = None
    timeout: float = 60.0

    def __repr__(self) -> str:  # never print the password
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r}, "
            f"user={self.user!r}, password={'***' if self.password else None})"
        )

    @staticmethod
    def default_port(security: Security) -> int:
        """The usual port for ``security``."""
        return _PORTS[security]


class DeliveryError(Exception):
    """A message was not accepted (``str`` says why, for the organiser)."""


class Transport(Protocol):
    """Where messages go; :meth:`send` raises :class:`DeliveryError` when one is not accepted."""

    kind: str

    def send(self, message: EmailMessage, item: PlannedMessage, person_id: str) -> None: ...

    def close(self) -> None: ...


class SmtpTransport:
    """Send over one SMTP connection, opened at the first message."""

    kind = "smtp"

    def __init__(self, settings: SmtpSettings, sender: str) -> None:
        self.settings = settings
        self.sender = sender
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        where = f"{s.host}:{s.port}"
        context = ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if s.security == "ssl":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=context)
            if s.user:
                smtp.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"{where} refused the login of '{s.user}': {_reply(exc)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"could not connect to {where}: {_reply(exc)}") from None
        return smtp

    def send(self, message: EmailMessage, item: PlannedMessage, person_id: str) -> None:
        """Send ``message`` to ``item.recipient`` (the envelope's one recipient)."""
        if self._smtp is None:
            self._smtp = self._open()
        try:
            self._smtp.send_message(message, from_addr=self.sender, to_addrs=[item.recipient])
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"{self.settings.host} did not accept the message to {item.recipient} "
                f"({item.method} for cohort {item.cohort_id}): {_reply(exc)}"
            ) from None

    def close(self) -> None:
        """Say goodbye to the server, if still connected."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


def _reply(exc: BaseException) -> str:
    """The server's reply (code and text) or the connection error, in one line."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [f"{code} {_text(msg)}" for code, msg in exc.recipients.values()]
        return "; ".join(codes) or "recipient refused"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return str(exc) or type(exc).__name__


def _text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())


def _stem(identifier: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", identifier)[:60]
    return "_" + stem if stem.startswith(".") or not stem else stem


def eml_name(item: PlannedMessage, person_id: str) -> str:
    """The file name of ``item``'s ``.eml`` file (see the module docstring).

    >>> from peermatch.invitations.planning import PlannedMessage
    >>> eml_name(PlannedMessage("a@x.org", "A", "C/1", "u", "REQUEST", 0, "new"), "../p1")
    'C_1__.._p1_request-0_7188a6f287.eml'
    """
    tag = hashlib.sha256(f"{item.recipient.casefold()}\n{item.uid}".encode()).hexdigest()[:10]
    return (
        f"{_stem(item.cohort_id)}_{_stem(person_id or 'person')}_"
        f"{item.method.lower()}-{item.sequence}_{tag}.eml"
    )


class EmlTransport:
    """Write each message as an ``.eml`` file into a folder."""

    kind = "eml"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage, item: PlannedMessage, person_id: str) -> None:
        """Write ``message`` to its file (replacing an earlier file of the same name)."""
        message["X-Unsent"] = "1"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomic(self.folder / eml_name(item, person_id), message.as_bytes())
        except OSError as exc:
            raise DeliveryError(
                f"could not write to {self.folder}: {exc.strerror or exc}"
            ) from None

    def close(self) -> None:
        """Nothing to close."""
