"""Results exports, the analytics page of a test and the report of one attempt."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify

from assessments.admin.scoping import csv_response, object_in_scope, page_context
from assessments.charts import histogram_svg
from assessments.models import Assessment, AssessmentEvent, Test
from assessments.selectors.attempt_report import (
    attempt_disconnect_credits,
    attempt_questions_as_seen,
    tutor_refusals_count,
)
from assessments.selectors.distributions import score_distribution, time_distribution
from assessments.selectors.integrity import integrity_annotate, integrity_signals_attach, integrity_summary_of
from assessments.selectors.item_analysis import (
    FACILITY_HIGH,
    FACILITY_LOW,
    FLAG_MIN_ANSWERS,
    blueprint_item_analysis,
)
from assessments.selectors.response_signals import LEGEND as SIGNALS_LEGEND
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
        flag_min_answers=FLAG_MIN_ANSWERS,
        facility_high=FACILITY_HIGH,
        results_url=reverse("admin:assessments_assessment_changelist") + f"?test__id__exact={test.pk}",
    )
    return render(request, "admin/assessments/test/analytics.html", context)


# ---------------------------------------------------------------- the report of one attempt


def payload_lines(data: dict[str, Any]) -> list[str]:
    """A message's data as "field: value" lines a recruiter can read, not a Python dict."""

    def shown(value: Any) -> str:
        if isinstance(value, list):
            return ", ".join(shown(v) for v in value) or "(none)"
        if isinstance(value, dict):
            return "; ".join(f"{k} {shown(v)}" for k, v in value.items())
        if value is None:
            return "-"
        return str(value)

    return [f"{key.replace('_', ' ')}: {shown(value)}" for key, value in data.items()]


def attempt_report_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    assessment: Assessment = object_in_scope(model_admin, request, object_id)
    assessment = (
        integrity_annotate(results_annotate(Assessment.objects.filter(pk=assessment.pk)))
        .select_related("candidate", "test")
        .get()
    )
    integrity_signals_attach([assessment])
    events = list(AssessmentEvent.objects.filter(assessment=assessment).order_by("seq"))
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
        integrity_summary=integrity_summary_of(assessment).line(),
        signals_legend=SIGNALS_LEGEND,
        rapid_ids=getattr(getattr(assessment, "_response_signals", None), "rapid_response_ids", frozenset()),
        asked=attempt_questions_as_seen(assessment=assessment, events=events),
        disconnect_credits=attempt_disconnect_credits(events=events),
        overall=ability.get("overall"),
        skills=sorted(skills.items()),
        usage=assessment.ai_state.get("usage"),
        generation_rejections=sorted((assessment.ai_state.get("rejections") or {}).items(), key=lambda kv: -kv[1]),
        blocked_leaks=assessment.ai_state.get("blocked_leaks", 0),
        tutor_refusals=tutor_refusals_count(assessment=assessment),
        termination_reason=assessment.ai_state.get("termination_reason", ""),
        chat=assessment.chat_messages.order_by("created_at", "id"),
        integrity=assessment.integrity_events.order_by("created_at", "id"),
        events=[(event, payload_lines(event.payload.get("data") or {})) for event in events],
        can_reset=model_admin.has_view_permission(request, assessment)
        and request.user.has_perm("assessments.change_test"),
        test_results_url=reverse("admin:assessments_assessment_changelist") + f"?test__id__exact={assessment.test_id}",
    )
    return render(request, "admin/assessments/assessment/report.html", context)
