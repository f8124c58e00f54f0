"""The recruiter's back office.

Superusers see everything. Every other staff user (a recruiter) sees only the tests they created and
the rows that hang off those tests; related-object choices are narrowed the same way. The attempt
record (responses, chat, events, integrity signals) is read-only here: it is written by the
assessment services only.

Candidate-supplied text is never marked safe: the admin's default escaping and `format_html` do the
rendering.
"""

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Count, ForeignKey, Model, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.html import format_html

from assessments.models import (
    Assessment,
    AssessmentEvent,
    CandidateApplication,
    ChatMessage,
    IntegrityEvent,
    Question,
    Response,
    Skill,
    Test,
)
from assessments.selectors.access import blueprint_window_state

User = get_user_model()

admin.site.site_header = "Jatayu administration"
admin.site.site_title = "Jatayu admin"
admin.site.index_title = "Tests, candidates and attempts"


def sees_all_tests(request: HttpRequest) -> bool:
    """Superusers see every test; any other staff user only the tests they created."""
    return bool(getattr(request.user, "is_superuser", False))


def own_tests(request: HttpRequest) -> QuerySet[Test]:
    tests = Test.objects.all()
    return tests if sees_all_tests(request) else tests.filter(created_by=request.user.pk)


# --- forms -------------------------------------------------------------------------------------


class OptionsField(forms.JSONField):
    """Question options as a JSON list, one option per line when shown."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 6, "cols": 80, "style": "font-family: monospace"}))
        kwargs.setdefault(
            "help_text",
            'A JSON list of 2 to 6 distinct answers, e.g. ["201 Created", "200 OK", "204 No Content"]. '
            "correct_option is the 0-based index of the right one.",
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return super().prepare_value(value)


class QuestionForm(forms.ModelForm):
    options = OptionsField()

    class Meta:
        model = Question
        fields = ("test", "skill", "prompt", "options", "correct_option", "explanation", "difficulty", "active")


class CandidateByUsernameForm(forms.ModelForm):
    """The candidate is typed in by username, so no list of every user is ever rendered."""

    candidate = forms.ModelChoiceField(
        queryset=User._default_manager.all(),
        to_field_name=User.USERNAME_FIELD,
        widget=forms.TextInput,
        help_text="The candidate's username.",
        error_messages={"invalid_choice": "There is no user with that username."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        candidate_id = getattr(self.instance, "candidate_id", None)
        if candidate_id is not None and not self.is_bound:
            self.initial["candidate"] = getattr(self.instance.candidate, User.USERNAME_FIELD)


class ApplicationForm(CandidateByUsernameForm):
    class Meta:
        model = CandidateApplication
        fields = ("candidate", "test", "status", "time_multiplier")


class AssessmentForm(CandidateByUsernameForm):
    class Meta:
        model = Assessment
        fields = (
            "test",
            "candidate",
            "application",
            "attempt_number",
            "status",
            "started_at",
            "deadline_at",
            "ended_at",
            "end_reason",
            "score",
            "max_score",
            "percentage_score",
            "passed",
        )


# --- scoping -----------------------------------------------------------------------------------


class RecruiterScopedAdmin(admin.ModelAdmin):
    """Rows are limited to the requesting recruiter's tests; `owner_lookup` leads to Test.created_by."""

    owner_lookup = "test__created_by"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if sees_all_tests(request):
            return queryset
        return queryset.filter(**{self.owner_lookup: request.user.pk})

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.related_model is Test:
            kwargs["queryset"] = own_tests(request)
        elif db_field.related_model is Skill:
            kwargs["queryset"] = Skill.objects.filter(test__in=own_tests(request)).select_related("test")
        elif db_field.related_model is CandidateApplication:
            kwargs["queryset"] = CandidateApplication.objects.filter(test__in=own_tests(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Test and its bank -------------------------------------------------------------------------


class SkillInline(admin.TabularInline):
    model = Skill
    fields = ("name", "weight", "difficulty", "order")
    extra = 1


class QuestionInlineFormSet(BaseInlineFormSet):
    """A question may only use a skill of the test it belongs to."""

    def add_fields(self, form: forms.BaseForm, index: int | None) -> None:
        super().add_fields(form, index)
        skill_field = form.fields.get("skill")
        if isinstance(skill_field, forms.ModelChoiceField):
            skill_field.queryset = Skill.objects.filter(test=self.instance.pk)


class QuestionInline(admin.StackedInline):
    model = Question
    form = QuestionForm
    formset = QuestionInlineFormSet
    verbose_name = "bank question"
    verbose_name_plural = "question bank"
    fields = ("skill", "prompt", "options", "correct_option", "explanation", "difficulty", "active")
    extra = 0
    show_change_link = True
    classes = ("collapse",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Question]:
        return super().get_queryset(request).filter(source=Question.Source.BANK)


@admin.register(Test)
class TestAdmin(RecruiterScopedAdmin):
    owner_lookup = "created_by"
    list_display = (
        "title",
        "status",
        "window",
        "feedback_mode",
        "total_questions",
        "time_limit_minutes",
        "max_attempts",
        "skill_count",
        "bank_size",
        "created_by",
        "created_at",
    )
    list_filter = ("status", "feedback_mode", "requires_application")
    search_fields = ("title", "description", "job_description")
    list_select_related = ("created_by",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (SkillInline, QuestionInline)
    actions = ("publish", "archive")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _skill_count=Count("skills", distinct=True),
                _bank_size=Count(
                    "questions",
                    filter=Q(questions__source=Question.Source.BANK, questions__active=True),
                    distinct=True,
                ),
            )
        )

    def get_list_filter(self, request: HttpRequest) -> Any:
        if sees_all_tests(request):
            return (*self.list_filter, ("created_by", admin.RelatedOnlyFieldListFilter))
        return self.list_filter

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if sees_all_tests(request) else ("created_by", *readonly)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"created_by": request.user.pk, **super().get_changeform_initial_data(request)}

    def get_inline_instances(self, request: HttpRequest, obj: Model | None = None) -> list[Any]:
        inlines = super().get_inline_instances(request, obj)
        if obj is None:  # a new test has no skills yet for its questions to use
            inlines = [inline for inline in inlines if not isinstance(inline, QuestionInline)]
        return inlines

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "created_by":
            kwargs["queryset"] = User._default_manager.filter(is_staff=True)
            kwargs["help_text"] = "The recruiter who owns this test; left empty, it becomes you."
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Test, form: forms.ModelForm, change: bool) -> None:
        if not change and (obj.created_by_id is None or not sees_all_tests(request)):
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    @admin.display(description="window")
    def window(self, obj: Test) -> str:
        return blueprint_window_state(test=obj)

    @admin.display(description="skills", ordering="_skill_count")
    def skill_count(self, obj: Test) -> int:
        return int(getattr(obj, "_skill_count", 0))

    @admin.display(description="active bank questions", ordering="_bank_size")
    def bank_size(self, obj: Test) -> int:
        return int(getattr(obj, "_bank_size", 0))

    @admin.action(description="Publish the selected tests", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Test]) -> None:
        updated = queryset.update(status=Test.Status.PUBLISHED)
        self.message_user(request, f"Published {updated} test(s).", messages.SUCCESS)

    @admin.action(description="Archive the selected tests", permissions=["change"])
    def archive(self, request: HttpRequest, queryset: QuerySet[Test]) -> None:
        updated = queryset.update(status=Test.Status.ARCHIVED)
        self.message_user(request, f"Archived {updated} test(s).", messages.SUCCESS)


@admin.register(Question)
class QuestionAdmin(RecruiterScopedAdmin):
    form = QuestionForm
    list_display = ("short_prompt", "test", "skill", "difficulty", "source", "active")
    list_filter = (
        ("test", admin.RelatedOnlyFieldListFilter),
        ("skill", admin.RelatedOnlyFieldListFilter),
        "source",
        "active",
        "difficulty",
    )
    list_editable = ("active",)
    search_fields = ("prompt", "explanation", "skill__name", "test__title")
    list_select_related = ("test", "skill")
    fields = (
        "test",
        "skill",
        "prompt",
        "options",
        "correct_option",
        "correct_answer",
        "explanation",
        "difficulty",
        "active",
        "source",
        "provider",
        "model_name",
        "prompt_hash",
        "created_at",
    )
    readonly_fields = ("correct_answer", "source", "provider", "model_name", "prompt_hash", "created_at")

    @admin.display(description="prompt")
    def short_prompt(self, obj: Question) -> str:
        return obj.prompt if len(obj.prompt) <= 90 else obj.prompt[:89] + "…"

    @admin.display(description="correct answer")
    def correct_answer(self, obj: Question) -> str:
        options = obj.options if isinstance(obj.options, list) else []
        index = obj.correct_option
        if index is None or not 0 <= index < len(options):
            return "-"
        return str(options[index])


# --- candidates and attempts -------------------------------------------------------------------


@admin.register(CandidateApplication)
class CandidateApplicationAdmin(RecruiterScopedAdmin):
    form = ApplicationForm
    list_display = ("candidate", "test", "status", "time_multiplier", "attempts", "created_at")
    list_filter = ("status", ("test", admin.RelatedOnlyFieldListFilter))
    search_fields = ("candidate__username", "candidate__email", "test__title")
    list_select_related = ("candidate", "test")
    fields = ("candidate", "test", "status", "time_multiplier", "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(_attempts=Count("assessments"))

    @admin.display(description="attempts", ordering="_attempts")
    def attempts(self, obj: CandidateApplication) -> int:
        return int(getattr(obj, "_attempts", 0))


class ReadOnlyInline(admin.TabularInline):
    """Part of the attempt record: shown, never added to, changed or deleted here."""

    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.fields or ()

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ResponseInline(ReadOnlyInline):
    model = Response
    fields = ("position", "question", "selected_answer", "is_correct", "asked_at", "answered_at", "time_taken_ms")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Response]:
        return super().get_queryset(request).select_related("question")

    @admin.display(description="answer")
    def selected_answer(self, obj: Response) -> str:
        options = obj.question.options if isinstance(obj.question.options, list) else []
        if obj.selected_option is None:
            return "-"
        if 0 <= obj.selected_option < len(options):
            return str(options[obj.selected_option])
        return f"option {obj.selected_option}"


class ChatMessageInline(ReadOnlyInline):
    model = ChatMessage
    fields = ("created_at", "role", "content")


class AssessmentEventInline(ReadOnlyInline):
    model = AssessmentEvent
    fields = ("seq", "type", "payload", "created_at")
    classes = ("collapse",)


class IntegrityEventInline(ReadOnlyInline):
    model = IntegrityEvent
    fields = ("created_at", "kind")


@admin.register(Assessment)
class AssessmentAdmin(RecruiterScopedAdmin):
    form = AssessmentForm
    list_display = (
        "id",
        "candidate",
        "test",
        "attempt_number",
        "status",
        "score_display",
        "passed",
        "integrity_flags",
        "started_at",
        "ended_at",
    )
    list_filter = ("status", "passed", ("test", admin.RelatedOnlyFieldListFilter))
    search_fields = ("candidate__username", "candidate__email", "test__title")
    list_select_related = ("candidate", "test")
    date_hierarchy = "started_at"
    raw_id_fields = ("application",)
    readonly_fields = ("session_epoch", "last_seq", "ai_state")
    inlines = (ResponseInline, ChatMessageInline, IntegrityEventInline, AssessmentEventInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(_integrity_flags=Count("integrity_events"))

    @admin.display(description="score")
    def score_display(self, obj: Assessment) -> str:
        if obj.percentage_score is None:
            return format_html("{} / {}", obj.score, obj.max_score)
        return format_html("{} / {} ({}%)", obj.score, obj.max_score, round(obj.percentage_score, 1))

    @admin.display(description="integrity events", ordering="_integrity_flags")
    def integrity_flags(self, obj: Assessment) -> int:
        return int(getattr(obj, "_integrity_flags", 0))
