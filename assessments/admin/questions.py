"""Questions: the bank and generated items (review, deactivate, promote to the bank), and regrading."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Case, Count, Exists, FloatField, Model, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Abs, Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse

from assessments.admin.forms import OPTION_FIELDS, QuestionActiveForm, QuestionForm, RegradeForm
from assessments.admin.scoping import RecordAdmin, RecruiterScopedAdmin, adopt_saved, object_in_scope, page_context
from assessments.ai.ability import DIFFICULTY_LOGIT
from assessments.errors import ApplicationError
from assessments.models import Assessment, Question, QuestionRegrade, Test
from assessments.psychometrics.calibration import DISCRIMINATION_MIN_N, DRIFT_LOGITS, TRUSTED_SE
from assessments.psychometrics.exposure import exposure_rate
from assessments.roles import is_recruiter
from assessments.selectors.bank import bank_for
from assessments.selectors.calibration_report import question_calibration
from assessments.selectors.regrades import question_is_void, regrade_abilities_changed, void_regrades
from assessments.services.blueprints import question_create
from assessments.services.questions import question_delete, question_update, questions_active_set, questions_promote
from assessments.services.regrades import question_regrade_apply, question_regrade_plan


def question_added(*, test: Test, question: Question) -> Question:
    """What the admin's question form filled in, added through `question_create`."""
    return question_create(
        test=test,
        skill=question.skill.name,
        prompt=question.prompt,
        options=question.option_list,
        correct_option=question.correct_option,
        explanation=question.explanation,
        difficulty=question.difficulty,
        active=question.active,
        kind=question.kind,
        correct_options=list(question.key) if question.kind == Question.Kind.MULTIPLE else [],
    )


class VoidFilter(admin.SimpleListFilter):
    title = "void"
    parameter_name = "void"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Void"), ("no", "Not void")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(_void=True)
        if self.value() == "no":
            return queryset.filter(_void=False)
        return queryset


def _prior_logit() -> Case:
    return Case(
        *(When(difficulty=label, then=Value(logit)) for label, logit in DIFFICULTY_LOGIT.items()),
        default=Value(0.0),
        output_field=FloatField(),
    )


def flagged_for_review_q() -> Q:
    """The SQL form of `calibration_report.question_calibration`'s flags: drifted once trusted, or a
    negative live discrimination over enough answers."""
    drifted = Q(calibration_se__lt=TRUSTED_SE, _drift__gt=DRIFT_LOGITS)
    negative = Q(live_discrimination__lt=0, calibration_n__gte=DISCRIMINATION_MIN_N)
    return drifted | negative


class ReviewFilter(admin.SimpleListFilter):
    title = "calibration"
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("flagged", "Flagged for review"), ("trusted", f"Calibrated (SE under {TRUSTED_SE:g})")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "flagged":
            return queryset.filter(flagged_for_review_q())
        if self.value() == "trusted":
            return queryset.filter(calibration_se__lt=TRUSTED_SE)
        return queryset


@admin.register(Question)
class QuestionAdmin(RecruiterScopedAdmin):
    form = QuestionForm
    list_display = (
        "short_prompt",
        "test",
        "skill",
        "difficulty",
        "source",
        "active",
        "void",
        "times_asked",
        "exposure",
        "calibration",
        "review",
    )
    list_filter = (
        ("test", admin.RelatedOnlyFieldListFilter),
        ("skill", admin.RelatedOnlyFieldListFilter),
        "source",
        "active",
        VoidFilter,
        ReviewFilter,
        "difficulty",
    )
    list_editable = ("active",)
    search_fields = ("prompt", "explanation", "skill__name", "test__title")
    list_select_related = ("test", "skill")
    fields = (
        "test",
        "skill",
        "prompt",
        *OPTION_FIELDS,
        "kind",
        "key",
        "keys",
        "correct_answer",
        "explanation",
        "difficulty",
        "active",
        "source",
        "provider",
        "model_name",
        "prompt_hash",
        "validation",
        "created_at",
        "calibration",
        "exposure",
        "review",
    )
    readonly_fields = (
        "calibration",
        "exposure",
        "review",
        "correct_answer",
        "source",
        "provider",
        "model_name",
        "prompt_hash",
        "validation",
        "created_at",
    )
    actions = ("activate", "deactivate", "promote")

    def get_urls(self) -> list[URLPattern]:
        def regrade(request: HttpRequest, object_id: int) -> HttpResponse:
            return regrade_view(self, request, object_id)

        return [
            path("<int:object_id>/regrade/", self.admin_site.admin_view(regrade), name="assessments_question_regrade"),
            *super().get_urls(),
        ]

    def save_model(self, request: HttpRequest, obj: Question, form: forms.ModelForm, change: bool) -> None:
        """An edit (here or in the list's `active` column) goes through `question_update` and its locks."""
        if not change:
            adopt_saved(obj, question_added(test=obj.test, question=obj))
            return
        question_update(question=obj, fields={name: getattr(obj, name) for name in form.changed_data})

    def delete_model(self, request: HttpRequest, obj: Question) -> None:
        question_delete(question=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        for question in queryset:
            question_delete(question=question)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        void = void_regrades().filter(question=OuterRef("pk"))
        attempts = (
            Assessment.objects.filter(test_id=OuterRef("test_id"))
            .order_by()
            .values("test_id")
            .annotate(n=Count("id"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                _void=Exists(void),
                _asked=Count("responses"),
                _attempts=Coalesce(Subquery(attempts), 0),
                _drift=Abs(Coalesce("calibrated_difficulty", _prior_logit()) - _prior_logit()),
            )
        )

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[forms.ModelForm]:
        kwargs.setdefault("form", QuestionActiveForm)
        return super().get_changelist_form(request, **kwargs)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {
            **(extra_context or {}),
            "regrade_url": reverse("admin:assessments_question_regrade", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra)

    @admin.display(description="prompt")
    def short_prompt(self, obj: Question) -> str:
        return obj.prompt if len(obj.prompt) <= 90 else obj.prompt[:89] + "…"

    @admin.display(description="correct answer")
    def correct_answer(self, obj: Question) -> str:
        options = obj.option_list
        if obj.correct_option is None:
            return "-"
        texts = [str(options[index]) for index in obj.key if 0 <= index < len(options)]
        return " · ".join(texts) if texts else "-"

    @admin.display(description="void", boolean=True, ordering="_void")
    def void(self, obj: Question) -> bool:
        return bool(getattr(obj, "_void", False))

    @admin.display(description="times asked", ordering="_asked")
    def times_asked(self, obj: Question) -> int:
        return int(getattr(obj, "_asked", 0))

    @admin.display(description="exposure")
    def exposure(self, obj: Question) -> str:
        """The share of the test's attempts that were shown the question, against the test's maximum."""
        if obj.pk is None:
            return "-"
        attempts = int(getattr(obj, "_attempts", 0))
        rate = exposure_rate(shown=int(getattr(obj, "_asked", 0)), attempts=attempts)
        over = " (over the maximum)" if attempts and rate > obj.test.max_exposure_rate else ""
        return f"{rate:.0%} of {attempts}{over}" if attempts else "-"

    @admin.display(description="difficulty: prior → calibrated")
    def calibration(self, obj: Question) -> str:
        if obj.pk is None:
            return "-"
        row = question_calibration(obj)
        # Selection reads it under the test's prior, once the test has learnt one (as its bank holds it).
        item = bank_for(test=obj.test).items.get(obj.pk)
        learnt = item if item is not None and item.prior_mean is not None else None
        if row.calibrated is None or row.se is None:
            start = None if learnt is None else learnt.prior_mean
            starts = "" if start is None else f"; starts at {start:+.2f}, the test's prior"
            return f"{row.prior:+.2f} (no answers yet{starts})"
        used = "in use" if row.trusted else f"not yet used: SE not under {TRUSTED_SE:g}"
        if learnt is not None and learnt.calibrated is not None and learnt.calibration_se is not None:
            trusted = learnt.calibration_se < TRUSTED_SE
            used = f"{learnt.calibrated:+.2f} ± {learnt.calibration_se:.2f} under the test's prior, " + (
                "in use" if trusted else f"not yet used: SE not under {TRUSTED_SE:g}"
            )
        slope = f", discrimination {row.a:.2f} ± {row.a_se:.2f}" if row.a is not None and row.a_se is not None else ""
        return f"{row.prior:+.2f} → {row.calibrated:+.2f} ± {row.se:.2f}{slope}, n {row.n} ({used})"

    @admin.display(description="review")
    def review(self, obj: Question) -> str:
        flags = question_calibration(obj).flags if obj.pk is not None else ()
        return "; ".join(flags) or "-"

    @admin.action(description="Activate the selected questions (void ones stay off)", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        changed = questions_active_set(questions=queryset, active=True)
        self.message_user(request, f"Activated {changed} question(s).", messages.SUCCESS)

    @admin.action(description="Deactivate the selected questions (never asked again)", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        changed = questions_active_set(questions=queryset, active=False)
        self.message_user(request, f"Deactivated {changed} question(s).", messages.SUCCESS)

    @admin.action(description="Promote the selected generated questions to the bank", permissions=["change"])
    def promote(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        promoted = questions_promote(questions=queryset)
        self.message_user(request, f"Promoted {promoted} generated question(s) to the bank.", messages.SUCCESS)


def regrade_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    """Void a question or change its key: a dry run lists the attempts with their scores and θ ± SE
    now and after; apply re-scores and re-estimates them and records who did it."""
    question: Question = object_in_scope(model_admin, request, object_id, change=True)
    plan = None
    if request.method == "POST":
        form = RegradeForm(request.POST, question=question)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if "apply" in request.POST:
                    record = question_regrade_apply(
                        question=question,
                        action=data["action"],
                        new_correct_option=data.get("new_correct_option"),
                        new_correct_options=data.get("new_correct_options") or None,
                        reason=data.get("reason", ""),
                        by=request.user,  # type: ignore[arg-type]
                    )
                    messages.success(
                        request,
                        f"{record.get_action_display()}: {record.attempts_rescored} attempt(s) re-scored, "
                        f"{record.scores_changed} score(s) changed, "
                        f"{regrade_abilities_changed(record=record)} θ estimate(s) changed"
                        + (
                            f", {len(record.skipped_attempts)} running attempt(s) to re-score once they end."
                            if record.skipped_attempts
                            else "."
                        ),
                    )
                    return HttpResponseRedirect(reverse("admin:assessments_question_regrade", args=[question.pk]))
                plan = question_regrade_plan(
                    question=question,
                    action=data["action"],
                    new_correct_option=data.get("new_correct_option"),
                    new_correct_options=data.get("new_correct_options") or None,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
    else:
        form = RegradeForm(question=question)
    options = question.option_list
    context = page_context(
        model_admin,
        request,
        title=f"Regrade question {question.pk}",
        obj=question,
        question=question,
        options=list(enumerate(options)),
        form=form,
        plan=plan,
        history=[
            (record, regrade_abilities_changed(record=record))
            for record in QuestionRegrade.objects.filter(question=question).select_related("performed_by")
        ],
        void=question_is_void(question=question),
    )
    return render(request, "admin/assessments/question/regrade.html", context)


@admin.register(QuestionRegrade)
class QuestionRegradeAdmin(RecordAdmin):
    """The regrade audit trail: read-only, written by the regrade page only."""

    owner_lookup = "question__test__created_by"
    list_display = (
        "performed_at",
        "question",
        "action",
        "performed_by_username",
        "attempts_rescored",
        "scores_changed",
    )
    list_filter = ("action", ("question__test", admin.RelatedOnlyFieldListFilter))
    search_fields = ("question__prompt", "performed_by_username", "reason")
    list_select_related = ("question",)
    fields = (
        "question",
        "action",
        "old_correct_option",
        "new_correct_option",
        "reason",
        "performed_by_username",
        "performed_at",
        "attempts_rescored",
        "scores_changed",
        "changes",
        "skipped_attempts",
    )
    readonly_fields = fields

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_recruiter(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_recruiter(request.user)
