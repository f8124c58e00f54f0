"""Invitations and reminders by email, each carrying a one-time sign-in link that expires.

The link is `<site>/welcome/#<secret>`: the secret sits in the fragment, which browsers never send to
a server or in a Referer, so it stays out of access logs. The welcome page posts it to
`/api/auth/link/`, which signs the candidate in once (`sign_in_link_redeem`). Only the secret's
SHA-256 is stored. Mail goes through Django's email framework (the console backend unless SMTP is
configured), after the invitations' own transaction has committed.
"""

import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format

from assessments import clock
from assessments.errors import ApplicationError, BackOfficeCode
from assessments.models import Assessment, CandidateApplication, SignInLink, Test

logger = logging.getLogger(__name__)

SECRET_BYTES = 32
LINK_STATUS = 400


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def link_lifetime() -> timedelta:
    return timedelta(hours=settings.JATAYU_SIGN_IN_LINK_HOURS)


def sign_in_link_create(*, user: User, test: Test | None, purpose: str = "invitation") -> str:
    """A new one-time link's secret for `user` (shown nowhere but in the email)."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    now = clock.now()
    SignInLink.objects.create(
        user=user,
        test=test,
        secret_hash=_hash(secret),
        purpose=purpose,
        created_at=now,
        expires_at=now + link_lifetime(),
    )
    return secret


LINK_REFUSALS = {
    BackOfficeCode.LINK_INVALID: "This sign-in link is not valid.",
    BackOfficeCode.LINK_USED: "This sign-in link was used already: a link signs in once.",
    BackOfficeCode.LINK_EXPIRED: "This sign-in link has expired.",
}


def _refused(code: BackOfficeCode) -> ApplicationError:
    return ApplicationError(code, f"{LINK_REFUSALS[code]} Ask your recruiter for a new one.", status=LINK_STATUS)


@transaction.atomic
def sign_in_link_redeem(*, secret: str) -> SignInLink:
    """Use the link once: its user may be signed in. Raises `link_invalid`, `link_used` or `link_expired`
    (400). The link is claimed by a conditional UPDATE, so of two redemptions at once (even where rows
    cannot be locked, on SQLite) one wins and the other gets `link_used`."""
    link = SignInLink.objects.select_related("user").filter(secret_hash=_hash(secret or "")).first()
    if link is None or not link.user.is_active:
        raise _refused(BackOfficeCode.LINK_INVALID)
    if link.used_at is not None:
        raise _refused(BackOfficeCode.LINK_USED)
    now = clock.now()
    if now >= link.expires_at:
        raise _refused(BackOfficeCode.LINK_EXPIRED)
    if not SignInLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now):
        raise _refused(BackOfficeCode.LINK_USED)
    link.used_at = now
    return link


# ---------------------------------------------------------------- the emails


def _local(moment: datetime) -> str:
    # In UTC, said so: the same whoever sends it (a recruiter abroad, or the reminders' command), and no
    # ambiguous zone abbreviation.
    return date_format(timezone.localtime(moment, UTC), "j F Y, H:i") + " UTC"


def _deadline_of(application: CandidateApplication) -> datetime | None:
    deadlines = [d for d in (application.closes_at, application.test.closes_at) if d is not None]
    return min(deadlines) if deadlines else None


def _email(*, application: CandidateApplication, base_url: str, purpose: str) -> EmailMessage:
    test, user = application.test, application.candidate
    secret = sign_in_link_create(user=user, test=test, purpose=purpose)
    link = f"{base_url.rstrip('/')}/welcome/#{secret}"
    deadline = _deadline_of(application)
    minutes = round(test.time_limit_minutes * application.time_multiplier)
    lines = [
        f"Hello {user.get_username()},",
        "",
        f'You are invited to take the assessment "{test.title}".'
        if purpose == "invitation"
        else f'A reminder: you have not started the assessment "{test.title}" yet.',
        f"It has {test.total_questions} questions and a time limit of {minutes} minutes, which starts when you press Start.",
        f"Please start it before {_local(deadline)}." if deadline else "You may take it at any time.",
        "",
        f"Sign in with this link (it works once and until {_local(clock.now() + link_lifetime())}):",
        link,
        "",
        "If the link has expired or was used, ask your recruiter for a new one.",
    ]
    subject = f"Your assessment: {test.title}" if purpose == "invitation" else f"Reminder: {test.title}"
    return EmailMessage(subject=subject, body="\n".join(lines), to=[user.email])


@dataclass
class MailReport:
    sent: list[str] = field(default_factory=list)  # usernames
    without_email: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # username, why


def _send(*, applications: Sequence[CandidateApplication], base_url: str, purpose: str) -> MailReport:
    report = MailReport()
    connection = get_connection()
    for application in applications:
        username = application.candidate.get_username()
        if not application.candidate.email:
            report.without_email.append(username)
            continue
        try:
            with transaction.atomic():
                # A reminder is claimed first, so two runs at once send it once; a failed send rolls back.
                if purpose == "reminder" and not CandidateApplication.objects.filter(
                    pk=application.pk, reminded_at__isnull=True
                ).update(reminded_at=clock.now()):
                    continue
                message = _email(application=application, base_url=base_url, purpose=purpose)
                message.connection = connection
                message.send()
        except Exception as exc:  # one candidate's mail failing must not stop the rest
            logger.warning("test %s: the %s to %s failed: %s", application.test_id, purpose, username, exc)
            report.failed.append((username, str(exc) or type(exc).__name__))
            continue
        report.sent.append(username)
    return report


def invitations_email(*, applications: Sequence[CandidateApplication], base_url: str) -> MailReport:
    """Email each candidate who has an address their invitation with a fresh sign-in link."""
    report = _send(applications=applications, base_url=base_url, purpose="invitation")
    logger.info(
        "invitations: %d sent, %d without email, %d failed",
        len(report.sent),
        len(report.without_email),
        len(report.failed),
    )
    return report


def reminders_due(*, within: timedelta, now: datetime | None = None) -> list[CandidateApplication]:
    """Eligible candidates of published tests who have not started, were not reminded, and whose
    deadline (their own or the test's, the earlier) falls within `within` from now."""
    now = now or clock.now()
    until = now + within
    started = Assessment.objects.filter(test=OuterRef("test_id"), candidate=OuterRef("candidate_id"))
    candidates = (
        CandidateApplication.objects.filter(
            status__in=CandidateApplication.ELIGIBLE_STATUSES,
            reminded_at__isnull=True,
            test__status=Test.Status.PUBLISHED,
        )
        .exclude(candidate__email="")
        .filter(~Exists(started))
        .filter(Q(closes_at__gt=now, closes_at__lte=until) | Q(test__closes_at__gt=now, test__closes_at__lte=until))
        .select_related("candidate", "test")
        .order_by("id")
    )
    return [a for a in candidates if (deadline := _deadline_of(a)) is not None and now < deadline <= until]


def reminders_send(*, within: timedelta, base_url: str) -> MailReport:
    """Remind, once each, every candidate `reminders_due` finds."""
    return _send(applications=reminders_due(within=within), base_url=base_url, purpose="reminder")
