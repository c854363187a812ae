"""STARTTLS and SMTPS with a login, against a real aiosmtpd server with a certificate made by the test.

The client verifies certificates against the system's trust store; the test
makes its own certificate trusted through ``SSL_CERT_FILE``, which OpenSSL's
default verify paths honour (as an organiser's corporate CA would be).
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from invite_helpers import (
    Recorder,
    attendees,
    invoke,
    ledger,
)

SENDER = "office@example.org"

#: The fixtures folder, program_run and smtp_server.
pytest_plugins = ["invite_fixtures"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return cert, key


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"office", b"s3cret")
    # handled=False: aiosmtpd then answers 535 itself (handled=True would send nothing).
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls_server(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    started: list[Controller] = []

    def start(mode: str) -> tuple[Recorder, str]:
        recorder = Recorder()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        tls = (
            {"ssl_context": context}
            if mode == "ssl"
            else {"tls_context": context, "require_starttls": True}
        )
        controller = Controller(
            recorder, hostname="127.0.0.1", port=port, authenticator=_authenticator,
            auth_required=True, auth_require_tls=mode != "ssl", **tls,
        )  # fmt: skip
        controller.start()
        started.append(controller)
        return recorder, f"127.0.0.1:{port}"

    yield start
    for controller in started:
        controller.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_and_login_with_the_password_from_the_environment(
    folder: Path, tls_server: Any, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder, server = tls_server(mode)
    monkeypatch.setenv("PEERMATCH_SMTP_PASSWORD", "s3cret")
    invoke("invite", folder, "--from", SENDER, "--smtp", server, f"--{mode}", "--user", "office")
    assert {(rcpts[0]) for _, rcpts, _ in recorder.messages} == {a for a, _ in attendees(folder)}
    assert len(recorder.messages) == len(attendees(folder))
    assert {e["delivery"] for e in ledger(folder)} == {"smtp"}


def test_a_wrong_password_stops_before_any_message(
    folder: Path, tls_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder, server = tls_server("starttls")
    monkeypatch.setenv("PEERMATCH_SMTP_PASSWORD", "Wr0ngPa55")
    text = invoke("invite", folder, "--from", SENDER, "--smtp", server, "--starttls", "--user", "office", code=6)  # fmt: skip
    assert "refused the login of 'office'" in text and "after 0 of" in text
    assert "Wr0ngPa55" not in text  # the password is never printed
    assert recorder.messages == []
    assert not (folder / "invitations.json").exists()


def test_an_untrusted_certificate_is_refused(
    folder: Path, tls_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder, server = tls_server("starttls")
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent-ca.pem")
    monkeypatch.setenv("PEERMATCH_SMTP_PASSWORD", "s3cret")
    text = invoke("invite", folder, "--from", SENDER, "--smtp", server, "--starttls", "--user", "office", code=6)  # fmt: skip
    assert "certificate" in text.lower()
    assert recorder.messages == []


def test_no_server_listening_is_exit_6(folder: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    text = invoke("invite", folder, "--from", SENDER, "--smtp", f"127.0.0.1:{port}", code=6)
    assert f"could not connect to 127.0.0.1:{port}" in text
    assert "run the same command again" in text
