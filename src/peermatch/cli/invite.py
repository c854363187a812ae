"""``peermatch invite``: send the cohorts' calendars as invitations (a client of
:func:`peermatch.invitations.invite`).

Exit status: 0 done (or nothing to send); 1 the folder is not a peermatch
output, or an address is unusable; 2 usage error; 6 delivery stopped
partway (the ledger holds what was accepted; a re-run sends the rest).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from peermatch.cli.common import EXIT_DELIVERY, EXIT_USAGE, existing_folder, fail

if TYPE_CHECKING:
    from peermatch.invitations.delivery import Security

__all__ = ["PASSWORD_VARIABLE", "invite"]

#: The environment variable that holds the SMTP password (never a flag: flags show in `ps`).
PASSWORD_VARIABLE = "PEERMATCH_SMTP_PASSWORD"


def _server(text: str, security: Security) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT`` or ``[IPv6]:PORT`` -> (host, port)."""
    from peermatch.invitations import SmtpSettings

    host, port = text.strip(), ""
    if host.startswith("["):
        inner, _, rest = host[1:].partition("]")
        host, port = inner, rest.removeprefix(":")
    elif host.count(":") == 1:
        host, _, port = host.partition(":")
    if not host:
        fail(f"--smtp '{text}': no host name", EXIT_USAGE)
    if not port:
        return host, SmtpSettings.default_port(security)
    if not port.isdigit() or not 0 < int(port) < 65536:
        fail(f"--smtp '{text}': the port must be a number from 1 to 65535", EXIT_USAGE)
    return host, int(port)


@click.command()
@click.argument("out_dir", type=existing_folder)
@click.option(
    "--from",
    "sender",
    required=True,
    metavar="ADDRESS",
    help="The sender: office@example.org or 'Programme Office <office@example.org>'.",
)
@click.option(
    "--smtp",
    metavar="HOST[:PORT]",
    help="Send through this SMTP server (port: 587 with --starttls, 465 with --ssl, else 25). "
    "Without it the messages are written as .eml files.",
)
@click.option("--starttls", is_flag=True, help="Upgrade the SMTP connection with STARTTLS.")
@click.option("--ssl", "use_ssl", is_flag=True, help="Connect to the SMTP server over TLS (SMTPS).")
@click.option(
    "--user",
    metavar="NAME",
    help=f"Log in to the SMTP server as NAME; the password is read from ${PASSWORD_VARIABLE}.",
)
@click.option(
    "--eml",
    "eml_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the .eml files (default OUT_DIR/invitations/); not with --smtp.",
)
@click.option(
    "--dry-run", is_flag=True, help="Print what would be sent; send nothing, write nothing."
)
def invite(
    out_dir: Path,
    sender: str,
    smtp: str | None,
    starttls: bool,
    use_ssl: bool,
    user: str | None,
    eml_dir: Path | None,
    dry_run: bool,
) -> None:
    """Send each member and facilitator their cohort's calendar as an invitation.

    Only what invitations.json lacks is sent: new attendees an invitation,
    changed cohorts an update (higher SEQUENCE), people who left or moved a
    cancellation. Exit 0 done; 1 not a peermatch output folder or a bad
    address; 2 usage error; 6 delivery stopped partway (run again to send the rest).
    """
    from peermatch.invitations import DeliveryStopped, SmtpSettings
    from peermatch.invitations import invite as send_invitations

    settings = None
    if starttls and use_ssl:
        fail("--starttls and --ssl exclude each other", EXIT_USAGE)
    if smtp is None and (starttls or use_ssl or user):
        fail("--starttls, --ssl and --user need --smtp HOST", EXIT_USAGE)
    if smtp is not None:
        if eml_dir is not None:
            fail("--eml writes files instead of sending: not with --smtp", EXIT_USAGE)
        security: Security = "ssl" if use_ssl else "starttls" if starttls else "none"
        if user and security == "none":
            fail("--user needs --starttls or --ssl: a password is never sent in clear", EXIT_USAGE)
        password = os.environ.get(PASSWORD_VARIABLE)
        if user and not password:
            fail(f"--user {user}: set the password in ${PASSWORD_VARIABLE}", EXIT_USAGE)
        host, port = _server(smtp, security)
        settings = SmtpSettings(host, port, security, user, password if user else None)
    outcome = send_invitations(
        out_dir, sender=sender, smtp=settings, eml_dir=eml_dir, dry_run=dry_run
    )
    if dry_run:
        from peermatch.invitations.messages import header_text

        for m in outcome.planned:
            # header_text: a name's control characters (CR, ESC ...) must not reach the terminal.
            who = f"{header_text(m.name)} <{header_text(m.recipient)}>"
            click.echo(f"{m.method} {m.sequence} cohort {header_text(m.cohort_id)} to {who}")
        click.echo(
            f"dry run: {len(outcome.planned)} to send, {len(outcome.skipped)} already sent; "
            "nothing was sent or written"
        )
        return
    if outcome.stopped is not None:
        fail(f"{out_dir}: {DeliveryStopped(outcome)}", EXIT_DELIVERY)
    where = "sent" if settings else f"written to {eml_dir or out_dir / 'invitations'}"
    cancels = sum(m.method == "CANCEL" for m in outcome.sent)
    click.echo(
        f"{len(outcome.sent)} messages {where} ({cancels} cancellations); "
        f"{len(outcome.skipped)} already sent before"
    )
