"""Mail goes through SMTP when a server is configured, otherwise into the local outbox."""

import stat
from dataclasses import replace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from governance import mail
from governance.errors import AtsparkError
from governance.settings import Settings, SettingsError
from tests.fixtures.services import free_port


class Received(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages = []

    def handle_message(self, message) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp_server():
    handler = Received()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def test_mail_goes_through_the_configured_smtp_server(settings, smtp_server):
    controller, handler = smtp_server
    configured = replace(settings, smtp_url=f"smtp://127.0.0.1:{controller.port}")
    mail.send(configured, "ana@acme.io", "Your code", "Your code is 123456.")
    [message] = handler.messages
    assert message["To"] == "ana@acme.io" and message["Subject"] == "Your code"
    assert "123456" in message.get_payload()
    assert not (settings.home / "outbox").exists()


def test_without_smtp_mail_lands_in_the_owner_only_outbox(settings):
    mail.send(settings, "ana@acme.io", "Your code", "Your code is 123456.")
    [written] = (settings.home / "outbox").glob("*.eml")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert b"Your code is 123456." in written.read_bytes()


def test_an_unreachable_server_fails_in_our_words_without_the_password(settings):
    port = free_port()
    configured = replace(settings, smtp_url=f"smtp://bot:s3cret@127.0.0.1:{port}")
    with pytest.raises(AtsparkError) as raised:
        mail.send(configured, "ana@acme.io", "Hi", "Hi")
    assert f"127.0.0.1:{port}" in str(raised.value) and "s3cret" not in str(raised.value)


@pytest.mark.parametrize("url", ["http://mail", "smtp://host/path", "mail.example.com"])
def test_a_bad_smtp_url_names_the_variable_not_the_value(url):
    with pytest.raises(SettingsError) as raised:
        Settings(smtp_url=url.replace("host", "u:pw@host"))
    assert "ATSPARK_SMTP_URL" in str(raised.value) and "pw" not in str(raised.value)
