"""Input validation and output shapes of the REST API. No business rules live here."""

from typing import Any, cast

from rest_framework import serializers

from assessments.models import Assessment, Difficulty, Question, Skill, Test, score_number
from assessments.selectors.access import blueprint_window_state
from assessments.selectors.response_signals import ResponseSignals
from assessments.selectors.visibility import candidate_result_fields, candidate_skill_breakdown
from assessments.services.blueprints import TEST_FIELD_NAMES, QuestionSpec, SkillSpec, TestFields
from assessments.services.candidates import MAX_TIME_MULTIPLIER, MIN_TIME_MULTIPLIER

# ---------------------------------------------------------------------------------------- common


class ErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    detail = serializers.CharField(help_text="Human-readable explanation.")
    fields = serializers.DictField(  # type: ignore[assignment]  # DRF pops declared fields off the class
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For validation errors: messages by dotted field path, e.g. `questions.1.options`.",
    )


class ScoreSerializerField(serializers.FloatField):
    """A score: a whole number as an int (3), partial credit to two decimals (2.67)."""

    def to_representation(self, value: Any) -> Any:
        return score_number(value)


class LogoutSerializer(serializers.Serializer[Any]):
    refresh = serializers.CharField()


class LinkSignInSerializer(serializers.Serializer[Any]):
    secret = serializers.CharField(max_length=200, help_text="The part after `#` of the emailed /welcome/ link.")


class LinkTokensSerializer(serializers.Serializer[Any]):
    access = serializers.CharField()
    refresh = serializers.CharField()
    test = serializers.IntegerField(allow_null=True, help_text="The test the link invited to, if any.")


class MeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=["recruiter", "candidate"])


class HealthSerializer(serializers.Serializer[Any]):
    database = serializers.CharField(help_text='"ok", or the error')
    channel_layer = serializers.CharField(help_text='"ok", or the error')


# ------------------------------------------------------------------------------------------ input


class SkillInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    weight = serializers.FloatField(default=1.0)
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, default=Difficulty.MEDIUM)

    def validate_weight(self, value: float) -> float:
        if value <= 0:
            raise serializers.ValidationError("weight must be greater than 0.")
        return value


class QuestionInputSerializer(serializers.Serializer[Any]):
    skill = serializers.CharField(max_length=100, help_text="The name of one of the test's skills.")
    prompt = serializers.CharField()
    # How many options, their uniqueness and the range of correct_option are Question.full_clean's job.
    options = serializers.ListField(child=serializers.CharField())
    correct_option = serializers.IntegerField(
        min_value=0, required=False, help_text="Index into options (a single question's key)."
    )
    explanation = serializers.CharField(allow_blank=True, default="")
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, default=Difficulty.MEDIUM)
    kind = serializers.ChoiceField(choices=Question.Kind.choices, default=Question.Kind.SINGLE)
    correct_options = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        help_text="A multiple question's keys: every correct index (at least two, one option left wrong).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == Question.Kind.MULTIPLE:
            if not attrs.get("correct_options"):
                raise serializers.ValidationError({"correct_options": "A multiple question lists its correct options."})
            attrs["correct_option"] = min(attrs["correct_options"])
        elif "correct_option" not in attrs:
            raise serializers.ValidationError({"correct_option": "This field is required."})
        return attrs

    def to_spec(self) -> QuestionSpec:
        return question_spec(self.validated_data)


def question_spec(data: dict[str, Any]) -> QuestionSpec:
    return QuestionSpec(
        skill=data["skill"],
        prompt=data["prompt"],
        options=list(data["options"]),
        correct_option=data["correct_option"],
        explanation=data.get("explanation", ""),
        difficulty=data.get("difficulty", Difficulty.MEDIUM),
        kind=data.get("kind", Question.Kind.SINGLE),
        correct_options=tuple(data.get("correct_options") or ()),
    )


class TestWriteSerializer(serializers.Serializer[Any]):
    """PATCH payload; `skills`, when present, replaces the whole list."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False)
    job_description = serializers.CharField(allow_blank=True, required=False)
    total_questions = serializers.IntegerField(min_value=1, required=False)
    time_limit_minutes = serializers.IntegerField(min_value=1, required=False)
    opens_at = serializers.DateTimeField(allow_null=True, required=False)
    closes_at = serializers.DateTimeField(allow_null=True, required=False)
    max_attempts = serializers.IntegerField(min_value=1, required=False)
    pass_percentage = serializers.FloatField(min_value=0, max_value=100, required=False)
    feedback_mode = serializers.ChoiceField(choices=Test.FeedbackMode.choices, required=False)
    requires_application = serializers.BooleanField(required=False)
    status = serializers.ChoiceField(
        choices=Test.Status.choices,
        required=False,
        help_text="draft or archived; `published` only through POST /api/tests/{id}/publish/.",
    )
    skills = SkillInputSerializer(many=True, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.partial and "questions" in self.initial_data:
            raise serializers.ValidationError(
                {"questions": ["Questions are added with POST /api/tests/{id}/questions/ after creation."]}
            )
        return attrs

    def test_fields(self) -> TestFields:
        return cast(TestFields, {k: v for k, v in self.validated_data.items() if k in TEST_FIELD_NAMES})

    def skill_specs(self) -> list[SkillSpec] | None:
        if "skills" not in self.validated_data:
            return None
        return [
            # Under PATCH (partial) DRF applies no defaults, so they are filled in here.
            SkillSpec(name=s["name"], weight=s.get("weight", 1.0), difficulty=s.get("difficulty", Difficulty.MEDIUM))
            for s in self.validated_data["skills"]
        ]


class TestCreateSerializer(TestWriteSerializer):
    """POST payload: a test with its ordered skills and, optionally, its first bank questions."""

    questions = QuestionInputSerializer(many=True, required=False)

    def question_specs(self) -> list[QuestionSpec]:
        return [question_spec(q) for q in self.validated_data.get("questions", [])]


class CandidateAddSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, help_text="Used only for a new account.")
    password = serializers.CharField(
        required=False,
        write_only=True,
        trim_whitespace=False,
        help_text="Used only for a new account; generated when absent.",
    )
    time_multiplier = serializers.FloatField(
        min_value=MIN_TIME_MULTIPLIER,
        max_value=MAX_TIME_MULTIPLIER,
        required=False,
        help_text="Extra time factor (1.0 to 5.0); an existing application keeps its own when absent.",
    )


# ----------------------------------------------------------------------------------------- output


class SkillSerializer(serializers.ModelSerializer[Skill]):
    active_question_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Skill
        fields = ["id", "name", "weight", "difficulty", "order", "active_question_count"]


class TestSerializer(serializers.ModelSerializer[Test]):
    skills = SkillSerializer(many=True, read_only=True)
    window = serializers.SerializerMethodField(help_text="upcoming, open or closed")
    active_question_count = serializers.IntegerField(read_only=True, default=0)
    has_attempts = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Test
        fields = [
            "id",
            *TestFields.__annotations__,  # what TestWriteSerializer writes, in the same order
            "window",
            "skills",
            "active_question_count",
            "has_attempts",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_window(self, test: Test) -> str:
        return blueprint_window_state(test=test)


class QuestionSerializer(serializers.ModelSerializer[Question]):
    skill = serializers.CharField(source="skill.name", read_only=True)

    class Meta:
        model = Question
        fields = [
            "id",
            "skill",
            "skill_id",
            "prompt",
            "options",
            "kind",
            "correct_option",
            "correct_options",
            "explanation",
            "difficulty",
            "source",
            "active",
            "created_at",
        ]
        read_only_fields = fields


class TestCreatedSerializer(TestSerializer):
    questions = QuestionSerializer(many=True, read_only=True, help_text="The bank questions posted inline.")

    class Meta(TestSerializer.Meta):
        fields = [*TestSerializer.Meta.fields, "questions"]
        read_only_fields = fields


class CandidateAddedSerializer(serializers.Serializer[Any]):
    candidate_id = serializers.IntegerField()
    application_id = serializers.IntegerField()
    username = serializers.CharField()
    password = serializers.CharField(allow_null=True, help_text="Only when generated here; null otherwise.")
    created = serializers.BooleanField(help_text="Whether the candidate account was created by this call.")
    application_status = serializers.CharField()
    time_multiplier = serializers.FloatField()


RESULT_FIELDS = [
    "id",
    "candidate",
    "attempt",
    "status",
    "score",
    "max_score",
    "percentage_score",
    "passed",
    "percentile",
    "rapid_guesses",
    "person_fit",
    "started_at",
    "ended_at",
]


class ResultSerializer(serializers.ModelSerializer[Assessment]):
    candidate = serializers.CharField(source="candidate.username", read_only=True)
    score = ScoreSerializerField(read_only=True, help_text="With partial credit, to two decimals.")
    attempt = serializers.IntegerField(source="attempt_number", read_only=True)
    ability = serializers.SerializerMethodField(
        help_text="θ and its SE overall and per skill (with asked/correct counts); JSON only, not in the CSV."
    )
    percentile = serializers.SerializerMethodField(
        help_text="Of the test's other finished attempts, the percent that scored lower (ties count half); "
        "null while running or when there is no other."
    )

    rapid_guesses = serializers.SerializerMethodField(
        help_text="Answers faster than a tenth of the question's usual time (1.5 to 10 s), timed by the server "
        "less the network's round trip: a signal to look closer, never used to score."
    )
    person_fit = serializers.SerializerMethodField(
        help_text="lz person fit of the answers at the attempt's θ: near 0 is ordinary, below -1.96 an unusual "
        "pattern (hard questions right, easy ones wrong); null with under 5 answers. Never used to score."
    )

    class Meta:
        model = Assessment
        fields = [*RESULT_FIELDS, "ability"]
        read_only_fields = fields

    def get_percentile(self, instance: Assessment) -> float | None:
        ranks: dict[int, float | None] = self.context.get("percentiles", {})
        return ranks.get(instance.pk)

    def _signals(self, instance: Assessment) -> ResponseSignals | None:
        signals: dict[int, ResponseSignals] = self.context.get("signals", {})
        return signals.get(instance.pk)

    def get_rapid_guesses(self, instance: Assessment) -> int | None:
        signals = self._signals(instance)
        return None if signals is None else signals.rapid_guesses

    def get_person_fit(self, instance: Assessment) -> float | None:
        signals = self._signals(instance)
        return None if signals is None or signals.person_fit is None else round(signals.person_fit, 2)

    def get_ability(self, instance: Assessment) -> dict[str, Any] | None:
        ability: dict[str, Any] | None = instance.ai_state.get("ability")
        return ability


class MyTestSerializer(serializers.Serializer[Any]):
    """A `catalog.MyTest`: one test the candidate may take, and where they stand with it."""

    id = serializers.IntegerField(source="test.id")
    title = serializers.CharField(source="test.title")
    description = serializers.CharField(source="test.description")
    opens_at = serializers.DateTimeField(source="test.opens_at", allow_null=True)
    closes_at = serializers.DateTimeField(
        allow_null=True, help_text="The latest start: the test's close or the candidate's own deadline, the earlier."
    )
    window = serializers.ChoiceField(choices=["upcoming", "open", "closed"])
    time_limit_minutes = serializers.FloatField(help_text="Effective: the test's limit times the time multiplier.")
    time_limit_seconds = serializers.IntegerField(help_text="Effective, in seconds.")
    time_multiplier = serializers.FloatField()
    total_questions = serializers.IntegerField(source="test.total_questions")
    max_attempts = serializers.IntegerField(source="test.max_attempts")
    attempts_used = serializers.IntegerField()
    attempts_left = serializers.IntegerField()
    state = serializers.ChoiceField(choices=["available", "in_progress", "completed", "upcoming", "closed"])
    in_progress_assessment_id = serializers.IntegerField(allow_null=True)
    feedback_mode = serializers.CharField(source="test.feedback_mode")


class MyAssessmentSerializer(serializers.ModelSerializer[Assessment]):
    """An own attempt; score fields appear once it has ended, as the test's feedback_mode allows."""

    test_title = serializers.CharField(source="test.title", read_only=True)
    attempt = serializers.IntegerField(source="attempt_number", read_only=True)
    score = ScoreSerializerField(read_only=True, required=False, help_text="With partial credit, to two decimals.")
    max_score = serializers.IntegerField(read_only=True, required=False)
    percentage_score = serializers.FloatField(read_only=True, required=False, allow_null=True)
    passed = serializers.BooleanField(read_only=True, required=False, allow_null=True)
    pass_percentage = serializers.FloatField(
        read_only=True, required=False, help_text="The test's pass mark, in percent; shown with the score."
    )

    SCORE_FIELDS = ("score", "max_score", "percentage_score", "passed", "pass_percentage")

    class Meta:
        model = Assessment
        fields = [
            "id",
            "test",
            "test_title",
            "attempt",
            "status",
            "started_at",
            "deadline_at",
            "ended_at",
            "score",
            "max_score",
            "percentage_score",
            "passed",
            "pass_percentage",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Assessment) -> dict[str, Any]:
        data: dict[str, Any] = dict(super().to_representation(instance))
        for name in self.SCORE_FIELDS:
            data.pop(name, None)
        if instance.status != Assessment.Status.IN_PROGRESS:
            data.update(candidate_result_fields(assessment=instance))
            data.update(candidate_skill_breakdown(assessment=instance))
        return data
