"""Results exports, the analytics page of a test and the report of one attempt."""

from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify

from assessments.admin.scoping import csv_response, object_in_scope, page_context
from assessments.charts import histogram_svg
from assessments.models import Assessment, AssessmentEvent, Response, Test
from assessments.selectors.distributions import score_distribution, time_distribution
from assessments.selectors.item_analysis import FACILITY_HIGH, FACILITY_LOW, blueprint_item_analysis
from assessments.selectors.regrades import blueprint_voided_question_ids
from assessments.selectors.results import (
    RESPONSE_COLUMNS,
    RESULT_COLUMNS,
    blueprint_attempts,
    duration_label,
    response_rows,
    result_row,
    results_annotate,
    time_taken_seconds,
)


def _slug(test: Test) -> str:
    return f"test-{test.pk}-{slugify(test.title)[:40] or 'untitled'}"


def results_csv(*, test: Test, assessments: QuerySet[Assessment] | None = None) -> HttpResponse:
    attempts = results_annotate(assessments) if assessments is not None else blueprint_attempts(test=test)
    return csv_response(
        filename=f"{_slug(test)}-results.csv",
        columns=RESULT_COLUMNS,
        rows=(result_row(a) for a in attempts.select_related("candidate")),
    )


def responses_csv(*, test: Test, assessments: QuerySet[Assessment] | None = None) -> HttpResponse:
    attempts = assessments if assessments is not None else Assessment.objects.filter(test=test)
    return csv_response(
        filename=f"{_slug(test)}-responses.csv", columns=RESPONSE_COLUMNS, rows=response_rows(assessments=attempts)
    )


def results_csv_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    return results_csv(test=object_in_scope(model_admin, request, object_id))


def responses_csv_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    return responses_csv(test=object_in_scope(model_admin, request, object_id))


def analytics_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    test: Test = object_in_scope(model_admin, request, object_id)
    scores = score_distribution(test=test)
    times = time_distribution(test=test)
    items = blueprint_item_analysis(test=test)
    context = page_context(
        model_admin,
        request,
        title=f"Analytics: {test.title}",
        obj=test,
        finished=sum(b.count for b in scores),
        score_chart=histogram_svg(bins=scores, title="Score distribution", x_label="percentage score"),
        time_chart=histogram_svg(bins=times, title="Time taken", x_label="minutes from start to end of the attempt"),
        items=items,
        flagged=sum(1 for item in items if item.flags),
        facility_low=FACILITY_LOW,
        facility_high=FACILITY_HIGH,
        results_url=reverse("admin:assessments_assessment_changelist") + f"?test__id__exact={test.pk}",
    )
    return render(request, "admin/assessments/test/analytics.html", context)


# ---------------------------------------------------------------- the report of one attempt


@dataclass(frozen=True)
class ServedOption:
    index: int  # in the question's stored options
    text: str
    chosen: bool
    key: bool


@dataclass(frozen=True)
class AskedQuestion:
    response: Response
    prompt: str
    options: list[ServedOption]
    chosen_text: str | None
    key_text: str | None
    void: bool


def _asked(response: Response, served: dict[str, Any] | None, voided: set[int]) -> AskedQuestion:
    """A response as the candidate saw it: the logged `question` message when there is one (prompt and
    options exactly as sent), else the question now with the response's served order."""
    question = response.question
    options = question.option_list
    order = [i for i in response.option_order if isinstance(i, int) and 0 <= i < len(options)] or list(
        range(len(options))
    )
    texts = [options[i] for i in order]
    prompt = question.prompt
    if served is not None:
        prompt = str(served.get("prompt", prompt))
        sent = served.get("options")
        if isinstance(sent, list) and len(sent) == len(order):
            texts = [str(t) for t in sent]
    rows = [
        ServedOption(index=i, text=text, chosen=i == response.selected_option, key=i == question.correct_option)
        for i, text in zip(order, texts, strict=True)
    ]
    chosen = next((o.text for o in rows if o.chosen), None)
    key = next((o.text for o in rows if o.key), None)
    return AskedQuestion(
        response=response, prompt=prompt, options=rows, chosen_text=chosen, key_text=key, void=question.pk in voided
    )


def attempt_report_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    assessment: Assessment = object_in_scope(model_admin, request, object_id)
    assessment = results_annotate(Assessment.objects.filter(pk=assessment.pk)).select_related("candidate", "test").get()
    events = list(AssessmentEvent.objects.filter(assessment=assessment).order_by("seq"))
    served = {
        e.payload.get("data", {}).get("question_id"): e.payload.get("data", {})
        for e in events
        if e.type == "question" and isinstance(e.payload, dict)
    }
    voided = blueprint_voided_question_ids(test_id=assessment.test_id)
    responses = assessment.responses.select_related("question__skill").order_by("position")
    ability = assessment.ai_state.get("ability") or {}
    skills = ability.get("skills") or {}
    context = page_context(
        model_admin,
        request,
        title=f"Attempt {assessment.attempt_number} of {assessment.candidate.get_username()} at {assessment.test.title}",
        obj=assessment,
        assessment=assessment,
        candidate=assessment.candidate,
        time_taken=duration_label(time_taken_seconds(assessment)),
        hints=getattr(assessment, "_hints", 0),
        integrity_count=getattr(assessment, "_integrity", 0),
        asked=[_asked(r, served.get(r.question_id), voided) for r in responses],
        overall=ability.get("overall"),
        skills=sorted(skills.items()),
        usage=assessment.ai_state.get("usage"),
        blocked_leaks=assessment.ai_state.get("blocked_leaks", 0),
        termination_reason=assessment.ai_state.get("termination_reason", ""),
        chat=assessment.chat_messages.order_by("created_at", "id"),
        integrity=assessment.integrity_events.order_by("created_at", "id"),
        events=events,
        can_reset=model_admin.has_view_permission(request, assessment)
        and request.user.has_perm("assessments.change_test"),
        test_results_url=reverse("admin:assessments_assessment_changelist") + f"?test__id__exact={assessment.test_id}",
    )
    return render(request, "admin/assessments/assessment/report.html", context)
