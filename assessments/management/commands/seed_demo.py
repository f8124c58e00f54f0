"""`manage.py seed_demo`: demo users, two published tests with their question banks, and applications.

Idempotent: every row is looked up by its natural key (username; test title and owner; skill name;
question prompt; candidate and test) and updated in place, so running it again changes nothing
but refreshes the content, the test windows and the demo passwords.
"""

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.utils import timezone

from assessments import demo_data
from assessments.models import (
    CandidateApplication,
    Question,
    Skill,
    Test,
)
from assessments.roles import recruiters_group_sync
from assessments.services.bank_versions import bank_changed

User = get_user_model()


def demo_user_sync(*, spec: demo_data.DemoUser, recruiters: Group) -> Any:
    role = spec["role"]
    user = User._default_manager.filter(username=spec["username"]).first() or User(username=spec["username"])
    user.email = spec["email"]
    user.first_name = spec["first_name"]
    user.is_active = True
    user.is_staff = role in ("admin", "recruiter")
    user.is_superuser = role == "admin"
    if not user.has_usable_password() or not user.check_password(spec["password"]):
        user.set_password(spec["password"])
    user.full_clean()
    user.save()
    if role == "recruiter":
        user.groups.add(recruiters)
    return user


def demo_test_sync(*, spec: demo_data.DemoTest, owner: Any, now: datetime) -> tuple[Test, int]:
    """Create or update one test with its skills and bank. Returns the test and how many bank questions were retired."""
    test = Test.objects.filter(title=spec["title"], created_by=owner).order_by("id").first()
    if test is None:
        test = Test(title=spec["title"], created_by=owner)
    test.description = spec["description"]
    test.job_description = spec["job_description"]
    test.total_questions = spec["total_questions"]
    test.time_limit_minutes = spec["time_limit_minutes"]
    test.max_attempts = spec["max_attempts"]
    test.pass_percentage = spec["pass_percentage"]
    test.feedback_mode = spec["feedback_mode"]
    test.requires_application = True
    test.status = Test.Status.PUBLISHED
    test.opens_at = now - timedelta(days=demo_data.OPENS_DAYS_AGO)
    test.closes_at = now + timedelta(days=demo_data.CLOSES_IN_DAYS)
    _validated(test, label=f"test {spec['title']!r}")
    test.save()

    prompts: set[str] = set()
    for order, skill_spec in enumerate(spec["skills"]):
        name = skill_spec["name"]
        skill = Skill.objects.filter(test=test, name=name).first() or Skill(test=test, name=name)
        skill.weight = skill_spec["weight"]
        skill.difficulty = skill_spec["difficulty"]
        skill.order = order
        _validated(skill, label=f"skill {name!r}")
        skill.save()
        for question_spec in skill_spec["questions"]:
            prompt = question_spec["prompt"]
            prompts.add(prompt)
            existing = Question.objects.filter(test=test, prompt=prompt).order_by("id").first()
            question = existing or Question(test=test, prompt=prompt)
            question.skill = skill
            question.options = list(question_spec["options"])
            question.correct_option = question_spec["correct"]
            question.explanation = question_spec["explanation"]
            question.difficulty = question_spec["difficulty"]
            question.source = Question.Source.BANK
            question.active = True
            _validated(question, label=f"question {prompt!r}")
            question.save()

    # Bank questions whose prompt is no longer in the demo data stay (answers may point at them) but retire.
    retired = (
        Question.objects.filter(test=test, source=Question.Source.BANK, active=True)
        .exclude(prompt__in=prompts)
        .update(active=False)
    )
    bank_changed(test_id=test.pk)
    return test, retired


def _validated(obj: models.Model, *, label: str) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise CommandError(f"Invalid demo {label}: {exc}") from exc


def _check_demo_data() -> None:
    for spec in demo_data.TESTS:
        prompts = Counter(q["prompt"] for skill in spec["skills"] for q in skill["questions"])
        duplicated = [prompt for prompt, seen in prompts.items() if seen > 1]
        if duplicated:
            raise CommandError(f"Demo test {spec['title']!r} repeats the prompt(s): {duplicated}")


class Command(BaseCommand):
    help = (
        "Load demo data: an admin, a recruiter and three candidates with fixed demo passwords; two published "
        "tests with their skills and question banks; shortlisted applications for every candidate. Safe to "
        "run again: rows are updated in place. For local demos only, as the passwords are public."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        _check_demo_data()
        if not settings.DEBUG:
            self.stderr.write(
                self.style.WARNING(
                    "DEBUG is off. seed_demo creates accounts with publicly known passwords: "
                    "never run it on a deployment others can reach."
                )
            )
        now = timezone.now()
        with transaction.atomic():
            recruiters = recruiters_group_sync()
            users = {spec["username"]: demo_user_sync(spec=spec, recruiters=recruiters) for spec in demo_data.USERS}
            owner = next(users[spec["username"]] for spec in demo_data.USERS if spec["role"] == "recruiter")
            candidates = [users[spec["username"]] for spec in demo_data.USERS if spec["role"] == "candidate"]
            synced = [demo_test_sync(spec=spec, owner=owner, now=now) for spec in demo_data.TESTS]
            for test, _ in synced:
                for candidate in candidates:
                    CandidateApplication.objects.update_or_create(
                        candidate=candidate, test=test, defaults={"status": CandidateApplication.Status.SHORTLISTED}
                    )

        if options["verbosity"] == 0:
            return
        self._report(synced=synced, candidates=candidates)

    def _report(self, *, synced: list[tuple[Test, int]], candidates: list[Any]) -> None:
        write = self.stdout.write
        write(self.style.SUCCESS("Jatayu demo data is ready."))
        write("")
        write("Tests (published, open now):")
        for test, retired in synced:
            bank = test.questions.filter(source=Question.Source.BANK, active=True).count()
            write(
                f"  #{test.pk} {test.title}: {test.skills.count()} skills, {bank} bank questions; "
                f"{test.total_questions} questions in {test.time_limit_minutes} min, "
                f"{test.max_attempts} attempt(s), feedback '{test.feedback_mode}', "
                f"closes {test.closes_at:%Y-%m-%d %H:%M} UTC"
                + (f" ({retired} outdated question(s) retired)" if retired else "")
            )
        names = ", ".join(c.username for c in candidates)
        write(f"  Shortlisted on both: {names}")
        write("")
        write("Demo logins (fixed passwords; local use only):")
        write(f"  {'ROLE':<10} {'USERNAME':<10} PASSWORD")
        for spec in demo_data.USERS:
            write(f"  {spec['role']:<10} {spec['username']:<10} {spec['password']}")
        write("")
        write("Admin: /admin/ as admin or recruiter. A token for the API and websocket:")
        write("  python manage.py issue_token alice")
