"""Reading the complaints mailbox over IMAP (imaplib): unseen messages in, each marked seen once handled.

Messages are fetched with BODY.PEEK[] so that reading alone never marks them seen: a message is
flagged \\Seen only after receive_email() committed it, so a crash in between means it is read
again next time, and its Message-ID makes that second reading harmless.
"""

import imaplib
import logging
from dataclasses import dataclass

from django.conf import settings

from jembatan.intake import actions
from jembatan.intake.mail import MalformedEmail, parse

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class MailboxConfig:
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    ssl: bool = True
    timeout: int = 30


def configured():
    """The mailbox from settings (CHANNELS_IMAP_*), or None when CHANNELS_IMAP_HOST is not set."""
    host = settings.CHANNELS_IMAP_HOST
    if not host:
        return None
    ssl = settings.CHANNELS_IMAP_SSL
    return MailboxConfig(
        host=host,
        port=settings.CHANNELS_IMAP_PORT,
        user=settings.CHANNELS_IMAP_USER,
        password=settings.CHANNELS_IMAP_PASSWORD,
        mailbox=settings.CHANNELS_IMAP_MAILBOX,
        ssl=ssl,
    )


def _connect(config):
    cls = imaplib.IMAP4_SSL if config.ssl else imaplib.IMAP4
    connection = cls(config.host, config.port, timeout=config.timeout)
    connection.login(config.user, config.password)
    status, _data = connection.select(config.mailbox)
    if status != "OK":
        raise imaplib.IMAP4.error(f"cannot select {config.mailbox}")
    return connection


def _unseen(connection, limit):
    status, data = connection.uid("SEARCH", None, "UNSEEN")
    if status != "OK":
        raise imaplib.IMAP4.error("UID SEARCH failed")
    return (data[0] or b"").split()[:limit]


def _raw(connection, uid):
    status, data = connection.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None


@dataclass
class Result:
    uid: str
    sender: str = ""
    subject: str = ""
    outcome: str = ""
    tracking_number: str = ""
    error: str = ""


def fetch_mail(config, *, commit, limit=DEFAULT_LIMIT):
    """Handle (commit) or only list (dry run) the unseen messages; return one Result each."""
    results = []
    connection = _connect(config)
    try:
        for uid in _unseen(connection, limit):
            result = Result(uid=uid.decode())
            raw = _raw(connection, uid)
            if raw is None:
                result.error = "FETCH failed"
                results.append(result)
                continue
            try:
                parsed = parse(raw)
            except MalformedEmail as exc:
                result.error = str(exc)
                logger.warning("Mailbox message %s is not a readable e-mail: %s", result.uid, exc)
                if commit:
                    # Seen and flagged: out of the next run's way, in front of a human.
                    connection.uid("STORE", uid, "+FLAGS", "(\\Seen \\Flagged)")
                results.append(result)
                continue
            result.sender, result.subject = parsed.sender, parsed.subject
            if commit:
                message, _is_new = actions.receive_email(raw=raw)
                result.outcome = message.outcome
                result.tracking_number = message.report.tracking_number if message.report_id else ""
                connection.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            results.append(result)
    finally:
        try:
            connection.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return results
