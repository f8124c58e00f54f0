"""Candidates: their accounts, applications and invitations. Accounts are created in one race-safe
way: the unique index decides, and a request that loses the race uses the winner's account."""

import csv
import io
import logging
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from assessments.errors import ApplicationError, BackOfficeCode
from assessments.models import (
    CandidateApplication,
    Test,
)
from assessments.roles import is_recruiter
from assessments.services.attempt_control import application_time_multiplier_set

logger = logging.getLogger(__name__)


GENERATED_PASSWORD_BYTES = 12  # token_urlsafe(12) gives 16 characters


# Each new account hashes a password (~0.4 s with Django's default hasher): keep one request short.
MAX_INVITES = 100


@dataclass(frozen=True)
class InviteRow:
    line: int
    username: str
    email: str


@dataclass
class InviteReport:
    created: list[tuple[str, str, str]] = field(default_factory=list)  # username, email, generated password
    created_for_email: list[str] = field(default_factory=list)  # new accounts that sign in by emailed link
    invited: list[str] = field(default_factory=list)  # existing accounts given an application
    applications: list[CandidateApplication] = field(default_factory=list)  # who may take it now, to email
    already: list[tuple[str, str]] = field(default_factory=list)  # username, their application's status
    refused: list[tuple[str, str]] = field(default_factory=list)  # username, why

    @property
    def total(self) -> int:
        return (
            len(self.created) + len(self.created_for_email) + len(self.invited) + len(self.already) + len(self.refused)
        )


_SEPARATORS = re.compile(r"[,;\t ]+")


def invite_rows_parse(*, text: str) -> list[InviteRow]:
    """`username[,email]` rows from a pasted list or a CSV file's text, validated all together.

    Separators: comma, semicolon, tab or spaces; quotes are CSV quotes; blank lines and `#` comments
    are skipped, and so is a first row `username,email`. Raises `ValidationError` listing every bad
    line, so nothing is invited until the whole list is right.
    """
    user_model: Any = get_user_model()
    username_field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    rows: list[InviteRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in next(csv.reader(io.StringIO(_SEPARATORS.sub(",", line))), [])]
        cells = [c for c in cells if c]
        if not cells:
            continue
        if not rows and not errors and cells[0].casefold() == "username":
            continue  # the header row
        if len(cells) > 2:
            errors.append(f"line {number}: expected username,email but found {len(cells)} values")
            continue
        username, email = cells[0], (cells[1] if len(cells) == 2 else "")
        try:
            username_field.run_validators(username)  # the model's validators, max_length included
        except ValidationError as exc:
            errors.append(f"line {number}: invalid username {username!r}: {' '.join(exc.messages)}")
            continue
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(f"line {number}: invalid email address {email!r}")
                continue
        if username in seen:
            errors.append(f"line {number}: {username!r} is listed twice (also on line {seen[username]})")
            continue
        seen[username] = number
        rows.append(InviteRow(line=number, username=username, email=email))
    if not errors and not rows:
        errors.append("the list has no candidates")
    if len(rows) > MAX_INVITES:
        errors.append(f"at most {MAX_INVITES} candidates at a time (this list has {len(rows)}): split it")
    if errors:
        raise ValidationError(errors)
    return rows


@transaction.atomic
def candidates_invite(*, test: Test, rows: Sequence[InviteRow]) -> InviteReport:
    """Invite every row to `test`, creating accounts for new usernames: with an email address, one that
    signs in by the links `invitations_email` sends (no password); without one, a generated password.

    An existing account is never changed, and an existing application keeps its status (a rejected
    candidate stays rejected). Staff accounts are refused. The applications that may take the test are in the report,
    for `invitations_email` to send after this commits.
    """
    report = InviteReport()
    for row in rows:
        user, password, account_created = _candidate_account_get_or_create(
            username=row.username, email=row.email, password=None, signs_in_by_link=bool(row.email)
        )
        if not account_created and (user.is_staff or is_recruiter(user)):
            report.refused.append((row.username, "a staff account cannot be a candidate"))
            continue
        application, application_created = _application_get_or_create_locked(candidate=user, test=test)
        if not application_created:
            report.already.append((row.username, application.get_status_display()))
            if application.status in CandidateApplication.ELIGIBLE_STATUSES:
                report.applications.append(application)  # invited again: a new email, with a new link
            continue
        application.status = CandidateApplication.Status.INVITED
        application.full_clean()
        application.save()
        report.applications.append(application)
        if password is not None:  # a new account, with the password generated for it
            report.created.append((row.username, row.email, password))
        elif account_created:
            report.created_for_email.append(row.username)
        else:
            report.invited.append(row.username)
    logger.info(
        "test %s: %d account(s) created, %d invited, %d already there, %d refused",
        test.pk,
        len(report.created) + len(report.created_for_email),
        len(report.invited),
        len(report.already),
        len(report.refused),
    )
    return report


@transaction.atomic
def applications_status_set(*, applications: QuerySet[CandidateApplication], status: str) -> int:
    """Shortlist or reject (any status) several applications; returns how many changed."""
    if status not in CandidateApplication.Status.values:
        raise ApplicationError(BackOfficeCode.INVALID_STATUS, f"Unknown application status {status!r}.")
    ids = list(applications.exclude(status=status).values_list("pk", flat=True))
    for application in CandidateApplication.objects.select_for_update().filter(pk__in=ids):
        application.status = status
        application.full_clean()
        application.save(update_fields=["status", "updated_at"])
    return len(ids)


MIN_TIME_MULTIPLIER = 1.0


MAX_TIME_MULTIPLIER = 5.0


@dataclass(frozen=True)
class CandidateAddResult:
    candidate: User
    application: CandidateApplication
    password: str | None  # set only when generated here
    user_created: bool
    application_created: bool


def _candidate_account_get_or_create(
    *, username: str, email: str | None, password: str | None, signs_in_by_link: bool = False
) -> tuple[User, str | None, bool]:
    """The account named `username`, created when missing: (user, generated password, created).

    With `signs_in_by_link` a new account gets no password at all (it signs in by the one-time links
    its emails carry), and the generated password is None.

    Safe against a concurrent request creating the same username: the unique index decides, and the
    loser uses the winner's account as an existing one (never learning its password).
    """
    user_model: Any = get_user_model()
    lookup = {user_model.USERNAME_FIELD: username}
    existing = user_model._default_manager.filter(**lookup).first()
    if existing is not None:
        return existing, None, False
    user = user_model(**lookup, email=email or "")
    generated: str | None = None
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
    elif not signs_in_by_link:
        password = generated = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    user.set_password(password)  # None: an unusable password
    # Uniqueness is left to the database: a check here could pass for two racing requests alike.
    user.full_clean(validate_unique=False)
    try:
        with transaction.atomic():  # a savepoint: losing the race undoes only this insert
            user.save()
    except IntegrityError:
        existing = user_model._default_manager.filter(**lookup).first()
        if existing is None:
            raise  # not a duplicate username after all
        return existing, None, False
    return user, generated, True


def _application_get_or_create_locked(*, candidate: User, test: Test) -> tuple[CandidateApplication, bool]:
    """`candidate`'s application to `test`, row-locked, inserted with its defaults when missing."""
    applications = CandidateApplication.objects.select_for_update().filter(candidate=candidate, test=test)
    application = applications.first()
    if application is not None:
        return application, False
    try:
        with transaction.atomic():  # a savepoint, as above; the caller validates and saves its changes
            return CandidateApplication.objects.create(candidate=candidate, test=test), True
    except IntegrityError:
        application = applications.first()  # the racing request's row, committed: lock it
        if application is None:
            raise
        return application, False


@transaction.atomic
def candidate_add(
    *,
    test: Test,
    username: str,
    email: str | None = None,
    password: str | None = None,
    time_multiplier: float | None = None,
) -> CandidateAddResult:
    """Shortlist `username` for `test`, creating the candidate account when it does not exist.

    An existing account is never changed (neither its email nor its password): only its
    application is. A password is generated with `secrets` when a new account gets none.
    Concurrent calls for the same username make one account and one application: one caller
    sees them created, the others see them as existing.
    """
    if time_multiplier is not None and not MIN_TIME_MULTIPLIER <= time_multiplier <= MAX_TIME_MULTIPLIER:
        raise ValidationError(
            {"time_multiplier": f"time_multiplier must be between {MIN_TIME_MULTIPLIER} and {MAX_TIME_MULTIPLIER}."}
        )
    user, generated, user_created = _candidate_account_get_or_create(username=username, email=email, password=password)
    if not user_created and is_recruiter(user):
        raise ApplicationError(
            BackOfficeCode.USER_IS_RECRUITER,
            f"{username!r} is a recruiter account and cannot be added as a candidate.",
            status=409,
        )

    application, application_created = _application_get_or_create_locked(candidate=user, test=test)
    application.status = CandidateApplication.Status.SHORTLISTED
    application.full_clean()
    application.save()
    if time_multiplier is not None and time_multiplier != application.time_multiplier:
        # Through the one accommodation rule: a running attempt's deadline moves with it, at once.
        application_time_multiplier_set(application=application, time_multiplier=time_multiplier)
    return CandidateAddResult(
        candidate=user,
        application=application,
        password=generated,
        user_created=user_created,
        application_created=application_created,
    )


@transaction.atomic
def application_save(*, application: CandidateApplication, fields: Mapping[str, Any]) -> CandidateApplication:
    """Create an application, or change one (the admin's form): a new accommodation on an existing
    one goes through `application_time_multiplier_set`, so a running attempt's deadline moves too."""
    if application.pk is None:
        application.full_clean()
        application.save()
        return application
    locked = CandidateApplication.objects.select_for_update().get(pk=application.pk)
    multiplier = fields.get("time_multiplier", locked.time_multiplier)
    if "closes_at" in fields and fields["closes_at"] != locked.closes_at:
        locked.reminded_at = None  # a new deadline earns a new reminder
    for name, value in fields.items():
        if name != "time_multiplier":
            setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    if multiplier != locked.time_multiplier:
        application_time_multiplier_set(application=locked, time_multiplier=multiplier)
    return locked
