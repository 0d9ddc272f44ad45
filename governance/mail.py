"""Outgoing mail: through SMTP when ``ATSPARK_SMTP_URL`` is set, otherwise into the local outbox
(``ATSPARK_HOME/outbox/*.eml``, owner-only), where development and tests read it."""

import os
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from governance.errors import AtsparkError
from governance.settings import Settings

SENDER = "atspark <no-reply@atspark.local>"
SMTP_TIMEOUT_SECONDS = 10


def send(settings: Settings, to: str, subject: str, body: str) -> None:
    """Send a plain-text message to one recipient."""
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="atspark.local")
    message.set_content(body)
    if settings.smtp_url:
        _send_smtp(settings.smtp_url, message)
    else:
        _write_outbox(settings, message)


def _write_outbox(settings: Settings, message: EmailMessage) -> None:
    outbox = settings.outbox_dir
    outbox.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = outbox / f"{uuid.uuid4().hex}.eml"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(message.as_bytes())


def _send_smtp(url: str, message: EmailMessage) -> None:
    parts = urlsplit(url)
    secure = parts.scheme == "smtps"
    connect = smtplib.SMTP_SSL if secure else smtplib.SMTP
    port = parts.port or (465 if secure else 25)
    try:
        with connect(parts.hostname or "", port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if parts.username:
                if not secure and smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        # name the server, never the URL: it may carry a password
        raise AtsparkError(
            f"could not send mail through {parts.hostname}:{port}: {type(error).__name__}"
        ) from None
