"""Registers the email notifier (entry point ``email``): hand-offs by SMTP (``smtplib``).

It sends when the owner's channel has an ``email`` and the workspace config has an
``smtp:`` section with a host; otherwise it has nothing to do. A failure raises, so the
hand-off is retried on the next run. The Message-ID is derived from the hand-off's key,
so a message sent again after a cut-off attempt can be recognised as the same one.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from funnelsync.channels import SmtpConfig
from funnelsync.contract import Stage
from funnelsync.handoff import HandoffConfig, handoff_email_text, handoff_subject
from funnelsync.hookspecs import hookimpl
from funnelsync.models import Lead


def handoff_email(
    lead: Lead,
    stage: Stage,
    talking_points: list[str],
    config: HandoffConfig,
    smtp: SmtpConfig,
    to: str,
) -> EmailMessage:
    """The hand-off as an email message from ``smtp.sender`` to ``to``."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = to
    message["Subject"] = handoff_subject(lead, stage)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{config.handoff_id}@funnelsync>"
    message["X-Funnelsync-Handoff"] = config.handoff_id
    message.set_content(handoff_email_text(lead, stage, talking_points, config))
    return message


def send(smtp: SmtpConfig, message: EmailMessage) -> None:
    """Send ``message`` through ``smtp`` (STARTTLS and login when configured)."""
    assert smtp.host is not None  # the caller checks
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.username is not None and smtp.password is not None:
            client.login(smtp.username, smtp.password.get_secret_value())
        client.send_message(message)


@hookimpl
def funnelsync_lead_handed_off(
    lead: Lead, stage: Stage, talking_points: list[str], config: HandoffConfig
) -> None:
    """Email the hand-off to the owner's address; raises ``OSError``/``smtplib.SMTPException``
    when the server cannot be reached or refuses it."""
    smtp = config.workspace.smtp
    to = config.channel.email
    if smtp is None or smtp.host is None or to is None:
        return
    send(smtp, handoff_email(lead, stage, talking_points, config, smtp, to))
