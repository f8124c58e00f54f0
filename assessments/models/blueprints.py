"""A test's blueprint: the test, its weighted skills, its question bank, regrades and announcements."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from assessments.models.base import Difficulty, KeepsServiceFields


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

    class DisconnectPolicy(models.TextChoices):
        NONE = "none", "No time back for a lost connection"
        CREDIT = "credit", "Give back the time without a connection, up to a cap"

    class MultiSelectScoring(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", "All or nothing"
        PARTIAL = "partial", "Partial credit"

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
    # How a question with several correct options is scored (`scoring.question_credit`).
    multi_select_scoring = models.CharField(
        max_length=20, choices=MultiSelectScoring.choices, default=MultiSelectScoring.ALL_OR_NOTHING
    )
    # Adaptive stopping: end early once every skill's ability estimate has at most this standard error.
    se_target = models.FloatField(null=True, blank=True)
    # Exposure control: no question is shown in more than this share of the test's attempts.
    max_exposure_rate = models.FloatField(
        default=0.3,
        validators=[MinValueValidator(0.01), MaxValueValidator(1.0)],
        help_text="The largest share of attempts any one question may be shown in (1 turns the control off).",
    )
    disconnect_policy = models.CharField(max_length=10, choices=DisconnectPolicy.choices, default=DisconnectPolicy.NONE)
    disconnect_credit_minutes = models.PositiveIntegerField(
        default=5,
        help_text="With the credit policy: the most time given back per attempt, in minutes. A candidate who "
        "closes the page on purpose gets that time back too, so keep it small.",
    )
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
                condition=Q(max_exposure_rate__gt=0) & Q(max_exposure_rate__lte=1), name="test_max_exposure_rate_range"
            ),
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


class Question(KeepsServiceFields):
    class Source(models.TextChoices):
        BANK = "bank", "Bank"
        GENERATED = "generated", "Generated"

    class Kind(models.TextChoices):
        SINGLE = "single", "One correct option"
        MULTIPLE = "multiple", "Several correct options"

    test = models.ForeignKey(Test, on_delete=models.CASCADE, related_name="questions")
    # RESTRICT: a skill with questions is never deleted on its own (the API refuses it as skill_has_questions);
    # deleting the whole test still takes both.
    skill = models.ForeignKey(Skill, on_delete=models.RESTRICT, related_name="questions")
    prompt = models.TextField()
    options = models.JSONField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    # The key: `correct_option` for a single question. A multiple one lists every correct index in
    # `correct_options`, and `correct_option` holds the lowest of them (so every reader of one key holds).
    correct_option = models.PositiveSmallIntegerField()
    correct_options = models.JSONField(default=list, blank=True)
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
    # Online calibration (`psychometrics.calibration`): the difficulty in logits estimated from the
    # answers so far, its standard error and the number of answers; null until the first answer.
    calibrated_difficulty = models.FloatField(null=True, blank=True, editable=False)
    calibration_se = models.FloatField(null=True, blank=True, editable=False)
    calibration_n = models.PositiveIntegerField(default=0, editable=False)
    # The 2PL discrimination a estimated with it, its SE, and the covariance of the difficulty with ln a
    # (the joint estimate's third number); null until the first answer.
    calibrated_discrimination = models.FloatField(null=True, blank=True, editable=False)
    discrimination_se = models.FloatField(null=True, blank=True, editable=False)
    calibration_covariance = models.FloatField(null=True, blank=True, editable=False)
    # The point-biserial correlation of the item with the candidates' ability estimates; negative
    # when the stronger candidates get it wrong more often (flagged for review).
    live_discrimination = models.FloatField(null=True, blank=True, editable=False)
    # The running sums it is computed from (n, Σθ, Σy, Σθ², Σy², Σθy), so each answer updates it.
    calibration_moments = models.JSONField(default=dict, blank=True, editable=False)

    SERVICE_FIELDS = (
        "calibrated_difficulty",
        "calibration_se",
        "calibration_n",
        "calibrated_discrimination",
        "discrimination_se",
        "calibration_covariance",
        "live_discrimination",
        "calibration_moments",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.prompt[:80]

    @property
    def key(self) -> tuple[int, ...]:
        """Every correct option index, in order: one for a single question."""
        if self.kind == self.Kind.MULTIPLE and isinstance(self.correct_options, list):
            return tuple(sorted(self.correct_options))
        return (self.correct_option,)

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
        if self.kind == self.Kind.MULTIPLE:
            self._clean_multiple(options)
        elif self.correct_options:
            raise ValidationError({"correct_options": "only a multiple-choice question lists several correct options."})
        if self.correct_option is None or not 0 <= self.correct_option < len(options):
            raise ValidationError({"correct_option": f"correct_option must be between 0 and {len(options) - 1}."})
        if self.skill_id and self.test_id and self.skill.test_id != self.test_id:
            raise ValidationError({"skill": "the skill belongs to another test."})

    def _clean_multiple(self, options: list[str]) -> None:
        """At least two correct options and at least one wrong one; `correct_option` becomes the lowest."""
        chosen = self.correct_options
        if (
            not isinstance(chosen, list)
            or not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(options) for i in chosen)
            or len(set(chosen)) != len(chosen)
        ):
            raise ValidationError(
                {"correct_options": f"correct_options must be distinct option indices from 0 to {len(options) - 1}."}
            )
        if len(chosen) < 2 or len(chosen) >= len(options):
            raise ValidationError(
                {"correct_options": "a multiple-choice question needs at least two correct options and one wrong one."}
            )
        self.correct_options = sorted(chosen)
        self.correct_option = self.correct_options[0]


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
