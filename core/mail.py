"""Email through SMTP when MAIL_SERVER is configured; without it, a no-op logged at debug.

`send_mail` sends at once. Notifications do not call it directly: `queue_mail` keeps the mail
on the database session and it goes out after that session commits (the `after_commit` hook
below), so a request or sweeper that rolls back sends nothing. A failing mail server is
logged and never breaks the request: the in-app notification is what counts.
"""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)
OUTBOX = "intermart_outbox"  # key in Session.info: mails waiting for the commit
SMTP_TIMEOUT_SECONDS = 10


def is_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def _message(to: list[str], subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = ", ".join(to)
    message.set_content(body)
    return message


def send_mail(to: list[str], subject: str, body: str) -> bool:
    """Send one mail to `to`; True when the server took it. Never raises."""
    to = [address for address in dict.fromkeys(to) if address]
    if not to:
        return False
    config = current_app.config
    if not is_configured():
        log.debug("mail not configured; not sent to %s: %s", to, subject)
        return False
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"],
                          timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(_message(to, subject, body))
    except (OSError, smtplib.SMTPException):
        log.exception("mail to %s failed: %s", to, subject)
        return False
    return True


def queue_mail(session: Session, to: list[str], subject: str, body: str) -> None:
    """Send after `session` commits; dropped if it rolls back."""
    if to:
        session.info.setdefault(OUTBOX, []).append((list(to), subject, body))


@event.listens_for(Session, "after_commit")
def _send_outbox(session: Session) -> None:
    for to, subject, body in session.info.pop(OUTBOX, []):
        send_mail(to, subject, body)


@event.listens_for(Session, "after_transaction_end")
def _drop_outbox(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (after_commit empties the outbox
    # first): its mails describe changes that never happened.
    if transaction.parent is None:
        session.info.pop(OUTBOX, None)
