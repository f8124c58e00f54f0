from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


class KeepsServiceFields(models.Model):
    """A whole-row save (a form's, say) never writes back the fields only services keep, from a copy
    read before a service changed them."""

    SERVICE_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if (
            self.pk is not None
            and not self._state.adding
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
        ):
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name not in self.SERVICE_FIELDS
            ]
        super().save(*args, **kwargs)


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"


class Test(KeepsServiceFields):
    """The blueprint of an assessment; each attempt is an Assessment."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    class FeedbackMode(models.TextChoices):
        NONE = "none", "None"
        CORRECTNESS = "correctness", "Correctness"
        FULL = "full", "Full"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    job_description = models.TextField(blank=True)
    total_questions = models.PositiveIntegerField(default=10)
    time_limit_minutes = models.PositiveIntegerField(default=30)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    max_attempts = models.PositiveIntegerField(default=1)
    pass_percentage = models.FloatField(default=60.0)
    feedback_mode = models.CharField(max_length=20, choices=FeedbackMode.choices, default=FeedbackMode.CORRECTNESS)
    requires_application = models.BooleanField(default=True)
    # Adaptive stopping: end early once every skill's ability estimate has at most this standard error.
    se_target = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="created_tests"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Kept by services, never by a form: bumped whenever the test's skills, items or voids change, so
    # each worker's cached bank (`selectors.bank`) knows from the test's row alone when it is out of date.
    bank_version = models.PositiveIntegerField(default=0, editable=False)
    # When the latest announcement went out: a snapshot looks announcements up only when one is newer
    # than the attempt.
    last_announced_at = models.DateTimeField(null=True, blank=True, editable=False)

    SERVICE_FIELDS = ("bank_version", "last_announced_at")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total_questions__gte=1), name="test_total_questions_positive"),
            models.CheckConstraint(condition=Q(time_limit_minutes__gte=1), name="test_time_limit_positive"),
            models.CheckConstraint(condition=Q(max_attempts__gte=1), name="test_max_attempts_positive"),
            models.CheckConstraint(
                condition=Q(pass_percentage__gte=0) & Q(pass_percentage__lte=100), name="test_pass_percentage_range"
            ),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True) | Q(closes_at__isnull=True) | Q(closes_at__gt=models.F("opens_at")),
                name="test_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": "closes_at must be after opens_at."})


class Skill(models.Model):
    test = models.ForeignKey(Test, on_delete=models.CASCADE, related_name="skills")
    name = models.CharField(max_length=100)
    weight = models.FloatField(default=1.0)
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices, default=Difficulty.MEDIUM)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["test", "name"], name="skill_unique_name_per_test"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="skill_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    class Source(models.TextChoices):
        BANK = "bank", "Bank"
        GENERATED = "generated", "Generated"

    test = models.ForeignKey(Test, on_delete=models.CASCADE, related_name="questions")
    # RESTRICT: a skill with questions is never deleted on its own (the API refuses it as skill_has_questions);
    # deleting the whole test still takes both.
    skill = models.ForeignKey(Skill, on_delete=models.RESTRICT, related_name="questions")
    prompt = models.TextField()
    options = models.JSONField()
    correct_option = models.PositiveSmallIntegerField()
    explanation = models.TextField(blank=True)
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices, default=Difficulty.MEDIUM)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.BANK)
    provider = models.CharField(max_length=50, blank=True)
    model_name = models.CharField(max_length=100, blank=True)
    prompt_hash = models.CharField(max_length=64, blank=True)
    # For generated items: the checks passed and the replies rejected before this one was accepted.
    validation = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.prompt[:80]

    @property
    def option_list(self) -> list[str]:
        """The options, or none when the JSON holds something else (`clean` refuses that on save)."""
        return list(self.options) if isinstance(self.options, list) else []

    def clean(self) -> None:
        if self.pk is not None and self.responses.exclude(assessment__test_id=self.test_id).exists():
            raise ValidationError({"test": "This question was asked in its test: it cannot move to another one."})
        options = self.options
        if not isinstance(options, list) or not all(isinstance(o, str) and o.strip() for o in options):
            raise ValidationError({"options": "options must be a list of non-empty strings."})
        if not 2 <= len(options) <= 6:
            raise ValidationError({"options": "a question needs 2 to 6 options."})
        if len({o.strip().casefold() for o in options}) != len(options):
            raise ValidationError({"options": "options must be unique."})
        if self.correct_option is None or not 0 <= self.correct_option < len(options):
            raise ValidationError({"correct_option": f"correct_option must be between 0 and {len(options) - 1}."})
        if self.skill_id and self.test_id and self.skill.test_id != self.test_id:
            raise ValidationError({"skill": "the skill belongs to another test."})


class CandidateApplication(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        SHORTLISTED = "shortlisted", "Shortlisted"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    ELIGIBLE_STATUSES = (Status.INVITED, Status.SHORTLISTED)

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applications")
    test = models.ForeignKey(Test, on_delete=models.CASCADE, related_name="applications")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INVITED)
    time_multiplier = models.FloatField(default=1.0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "test"], name="application_unique_candidate_test"),
            models.CheckConstraint(
                condition=Q(time_multiplier__gte=1.0) & Q(time_multiplier__lte=5.0),
                name="application_time_multiplier_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} → {self.test}"


class Assessment(KeepsServiceFields):
    """One attempt of one candidate at one Test."""

    SERVICE_FIELDS = ("progress", "last_seq", "session_epoch")

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        TIMED_OUT = "timed_out", "Timed out"
        ABANDONED = "abandoned", "Abandoned"
        TERMINATED = "terminated", "Terminated"

    test = models.ForeignKey(Test, on_delete=models.PROTECT, related_name="assessments")
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessments")
    application = models.ForeignKey(
        CandidateApplication, null=True, blank=True, on_delete=models.SET_NULL, related_name="assessments"
    )
    attempt_number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PROGRESS, db_index=True)
    started_at = models.DateTimeField()
    deadline_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=50, blank=True)
    score = models.PositiveIntegerField(default=0)
    max_score = models.PositiveIntegerField(default=0)
    percentage_score = models.FloatField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    session_epoch = models.PositiveIntegerField(default=0)
    last_seq = models.PositiveIntegerField(default=0)
    ai_state = models.JSONField(default=dict, blank=True)
    # The attempt's working state (see `services.progress`): what was asked and answered, kept with
    # the row so an answer or a reconnect reads one row instead of every response.
    progress = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "test", "attempt_number"], name="assessment_unique_attempt_number"
            ),
            models.UniqueConstraint(
                fields=["candidate", "test"],
                condition=Q(status="in_progress"),
                name="assessment_one_in_progress_per_candidate_test",
            ),
            models.CheckConstraint(condition=Q(attempt_number__gte=1), name="assessment_attempt_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} - {self.test} #{self.attempt_number}"


class Response(models.Model):
    """One question asked in an attempt, and the answer when there is one."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="responses")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="responses")
    position = models.PositiveIntegerField()
    # option_order[i] is the index in question.options of the option served at position i.
    option_order = models.JSONField(default=list)
    asked_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    selected_option = models.PositiveSmallIntegerField(null=True, blank=True)  # index in question.options
    is_correct = models.BooleanField(null=True, blank=True)
    time_taken_ms = models.PositiveIntegerField(null=True, blank=True)
    # NULL, not "", when absent: the unique constraint below applies only to ids a client sent.
    client_msg_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["assessment_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "position"], name="response_unique_position"),
            models.UniqueConstraint(fields=["assessment", "question"], name="response_unique_question"),
            models.UniqueConstraint(
                fields=["assessment", "client_msg_id"],
                condition=Q(client_msg_id__isnull=False),
                name="response_unique_client_msg_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} Q{self.position}"


class ChatMessage(models.Model):
    class Role(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        TUTOR = "tutor", "Tutor"

    # A message belongs to an attempt, or, in a general chat outside any attempt, to its candidate.
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.CASCADE, related_name="chat_messages"
    )
    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="general_chat"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    content = models.TextField()
    # A tutor reply that would have revealed the answer and was replaced by a refusal.
    blocked_leak = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(assessment__isnull=False, candidate__isnull=True)
                | Q(assessment__isnull=True, candidate__isnull=False),
                name="chat_message_of_an_attempt_or_a_candidate",
            )
        ]
        indexes = [models.Index(fields=["candidate", "created_at"], name="general_chat_by_time")]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:60]}"


class TestAnnouncement(models.Model):
    """A recruiter's broadcast to everyone in a test; kept, so a candidate who reconnects still sees it."""

    test = models.ForeignKey(Test, on_delete=models.CASCADE, related_name="announcements")
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["test", "created_at"], name="announcements_by_time")]

    def __str__(self) -> str:
        return self.message[:60]


class AssessmentEvent(models.Model):
    """The per-attempt log of server messages, replayed to a client that resumes."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=50)
    ref = models.CharField(max_length=100, blank=True)  # the client message id this event answers
    # The answered question this event reports, so a repeated answer gets the same events back.
    response = models.ForeignKey(Response, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    payload = models.JSONField(default=dict)  # the whole server message as it was sent
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessment_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["assessment", "seq"], name="event_unique_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.type}"


class IntegrityEvent(models.Model):
    class Kind(models.TextChoices):
        TAB_HIDDEN = "tab_hidden", "Tab hidden"
        TAB_VISIBLE = "tab_visible", "Tab visible"
        WINDOW_BLUR = "window_blur", "Window blur"
        PASTE = "paste", "Paste"
        COPY = "copy", "Copy"
        FULLSCREEN_EXIT = "fullscreen_exit", "Fullscreen exit"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="integrity_events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.kind


class CandidateSession(models.Model):
    """The live connection of one candidate on one endpoint (`key` is the protocol's connection_id).

    `epoch` is the fencing token of the single-session rule: each new connection takes the next one
    under a row lock, and any connection holding an older epoch may no longer write.

    `last_seen_at` is set on connect and refreshed by the worker holding the connection. A worker that is
    killed never releases its rows, so "connected" also needs a recent `last_seen_at`: see
    `assessments.selectors.sessions.session_live_q`.
    """

    key = models.CharField(max_length=64, unique=True)
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions")
    test = models.ForeignKey(Test, null=True, blank=True, on_delete=models.CASCADE, related_name="sessions")
    epoch = models.PositiveIntegerField(default=0)
    channel_name = models.CharField(max_length=200, blank=True)
    worker = models.CharField(max_length=100, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True, default=timezone.now)

    def __str__(self) -> str:
        return f"{self.key} (epoch {self.epoch})"


class QuestionRegrade(models.Model):
    """The audit record of one regrade: who voided a question, changed its key or re-scored it, and when.

    A void is permanent: the question counts neither in the score nor in the max_score of any attempt
    that saw it. `changes` lists every attempt re-scored, with its scores before and after;
    `skipped_attempts` the ids of attempts still running then (re-score again once they have ended).
    """

    class Action(models.TextChoices):
        VOID = "void", "Void the question"
        REKEY = "rekey", "Change the key"
        RESCORE = "rescore", "Re-score only"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="regrades")
    action = models.CharField(max_length=20, choices=Action.choices)
    old_correct_option = models.PositiveSmallIntegerField(null=True, blank=True)
    new_correct_option = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="regrades"
    )
    # The username as it was, kept when the account is deleted.
    performed_by_username = models.CharField(max_length=150, blank=True)
    performed_at = models.DateTimeField(auto_now_add=True)
    attempts_rescored = models.PositiveIntegerField(default=0)
    scores_changed = models.PositiveIntegerField(default=0)
    changes = models.JSONField(default=list, blank=True)
    skipped_attempts = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-performed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} of question {self.question_id}"


class TokenVersion(models.Model):
    """The sign-in generation of a user: every token carries the version it was issued at (claim
    `tv`, 0 when missing), and a token of an older one is refused. Logout and deactivation bump it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="token_version"
    )
    version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user_id} v{self.version}"
