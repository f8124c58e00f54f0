"""Candidates' applications and their attempts: responses, chat, the event log and integrity events."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from assessments.models.base import KeepsServiceFields, ScoreField
from assessments.models.blueprints import Question, Test


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
    # This candidate's own deadline to start, before the test's (None: the test's window alone).
    closes_at = models.DateTimeField(
        null=True,
        blank=True,
        verbose_name="own deadline",
        help_text="The latest time this candidate may start, if earlier than the test closes (it never extends "
        "the test's window); empty: the test's window.",
    )
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
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

    SERVICE_FIELDS = ("progress", "last_seq", "session_epoch", "disconnect_credit_seconds", "calibrated_at")

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
    # The sum of the answers' credit (`scoring`), to two decimals: whole unless a test gives partial credit.
    score = ScoreField(default=0)
    max_score = models.PositiveIntegerField(default=0)
    percentage_score = models.FloatField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    session_epoch = models.PositiveIntegerField(default=0)
    last_seq = models.PositiveIntegerField(default=0)
    # Time given back for lost connections under the test's disconnect policy, in seconds.
    disconnect_credit_seconds = models.PositiveIntegerField(default=0, editable=False)
    # When this ended attempt's answers went into its items' calibration (`services.calibration`).
    calibrated_at = models.DateTimeField(null=True, blank=True, editable=False)
    ai_state = models.JSONField(default=dict, blank=True)
    # The attempt's working state (see `services.progress`): what was asked and answered, kept with
    # the row so an answer or a reconnect reads one row instead of every response.
    progress = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        # "Attempts", so the admin's breadcrumb does not read "Assessments > Assessments".
        verbose_name, verbose_name_plural = "attempt", "attempts"
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
        # The calibration backlog (`services.calibration.attempts_calibrate`): only ended attempts not
        # yet calibrated, in the order they ended.
        indexes = [
            models.Index(
                fields=["ended_at", "id"],
                condition=Q(calibrated_at__isnull=True, status__in=["completed", "timed_out"]),
                name="assessment_calibration_backlog",
            )
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
    # A multiple-choice question's answer: every option index chosen (selected_option: the lowest).
    selected_options = models.JSONField(null=True, blank=True)
    is_correct = models.BooleanField(null=True, blank=True)  # full credit
    # The share of the question earned, 0 to 1 (`scoring.question_credit`); null until answered.
    credit = models.FloatField(null=True, blank=True)
    time_taken_ms = models.PositiveIntegerField(null=True, blank=True)  # question sent to answer received
    # The connection's network round trip when the answer came (as its heartbeats measured it).
    round_trip_ms = models.PositiveIntegerField(null=True, blank=True)
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
