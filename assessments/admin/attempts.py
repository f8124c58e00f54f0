"""Attempts: the results table (one row per attempt; sortable, filterable, CSV exports), the report of
one attempt, and resetting an attempt. The attempt record itself is written by the services only."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from assessments.admin import reports
from assessments.admin.comparison import MAX_COMPARED
from assessments.admin.scoping import RecordAdmin, object_in_scope, own_tests, page_context
from assessments.errors import ApplicationError
from assessments.models import (
    Assessment,
    AssessmentEvent,
    CandidateApplication,
    ChatMessage,
    IntegrityEvent,
    Response,
    Test,
)
from assessments.selectors.attempt_report import attempt_disconnect_credits
from assessments.selectors.integrity import integrity_annotate, integrity_signals_attach, integrity_summary_of
from assessments.selectors.results import duration_label, results_annotate
from assessments.services.attempt_control import assessment_reset, assessments_expire_due
from assessments.services.candidates import applications_status_set

TEST_FILTER = "test__id__exact"


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
        options = obj.question.option_list
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
class AssessmentAdmin(RecordAdmin):
    """Filtered by one test (`?test__id__exact=<id>`), the changelist is that test's results page.

    An attempt is a record to read here, for everyone: it begins when its candidate starts, and it
    changes only through the candidate's actions and the back-office services (extend and terminate
    on the monitor, reset and regrade here), which keep its score, deadline and event log agreeing.
    """

    list_display = (
        "id",
        "candidate",
        "test",
        "attempt",
        "status",
        "score_display",
        "percentage",
        "passed",
        "time_taken",
        "hints",
        "integrity_flags",
        "started",
        "decision",
        "report",
    )
    list_display_links = ("id", "candidate")
    list_filter = ("status", "passed", "end_reason", ("test", admin.RelatedOnlyFieldListFilter))
    search_fields = ("candidate__username", "candidate__email", "test__title")
    list_select_related = ("candidate", "test", "application")
    date_hierarchy = "started_at"
    raw_id_fields = ("application",)
    readonly_fields = ("session_epoch", "last_seq", "disconnect_credits", "ai_state")
    inlines = (ResponseInline, ChatMessageInline, IntegrityEventInline, AssessmentEventInline)
    actions = ("compare", "shortlist", "reject", "export_results", "export_responses")

    def get_urls(self) -> list[URLPattern]:
        def report(request: HttpRequest, object_id: int) -> HttpResponse:
            return reports.attempt_report_view(self, request, object_id)

        def reset(request: HttpRequest, object_id: int) -> HttpResponse:
            return reset_view(self, request, object_id)

        return [
            path("<int:object_id>/report/", self.admin_site.admin_view(report), name="assessments_assessment_report"),
            path("<int:object_id>/reset/", self.admin_site.admin_view(reset), name="assessments_assessment_reset"),
            *super().get_urls(),
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return integrity_annotate(results_annotate(super().get_queryset(request)))

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        integrity_signals_attach(list(changelist.result_list))  # the page's rows, in two statements
        return changelist

    def _results_of(self, request: HttpRequest) -> Test | None:
        """The test this changelist is filtered to (`?test__id__exact=`), when it is one of the recruiter's."""
        test_id = request.GET.get(TEST_FILTER, "")
        return own_tests(request).filter(pk=int(test_id)).first() if test_id.isdigit() else None

    def get_list_display(self, request: HttpRequest) -> Any:
        display = super().get_list_display(request)
        return tuple(f for f in display if f != "test") if TEST_FILTER in request.GET else display

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = dict(extra_context or {})
        test = self._results_of(request)
        assessments_expire_due(test_id=test.pk if test is not None else None)
        if test is not None:
            extra["title"] = f"Results: {test.title}"
            extra["results_links"] = [
                ("Results CSV", reverse("admin:assessments_test_results_csv", args=[test.pk])),
                ("Answers CSV", reverse("admin:assessments_test_responses_csv", args=[test.pk])),
                ("Analytics", reverse("admin:assessments_test_analytics", args=[test.pk])),
                ("Live monitor", reverse("admin:assessments_test_monitor", args=[test.pk])),
            ]
        return super().changelist_view(request, extra)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {
            **(extra_context or {}),
            "report_url": reverse("admin:assessments_assessment_report", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra)

    @admin.display(description="time given back")
    def disconnect_credits(self, obj: Assessment) -> str:
        """Each disconnect credit (the test's disconnect policy), from the attempt's event log."""
        credits = attempt_disconnect_credits(events=obj.events.filter(type="time_extended").order_by("seq"))
        if not credits:
            return "-"
        return format_html_join(
            mark_safe("<br>"),
            "Time given back for a lost connection: {} at {}",
            ((c.duration, date_format(timezone.localtime(c.at), "H:i")) for c in credits),
        )

    @admin.display(description="attempt", ordering="attempt_number")
    def attempt(self, obj: Assessment) -> int:
        return obj.attempt_number

    @admin.display(description="score")
    def score_display(self, obj: Assessment) -> str:
        return format_html("{} / {}", obj.score, obj.max_score)

    @admin.display(description="%", ordering="percentage_score")
    def percentage(self, obj: Assessment) -> str:
        return "-" if obj.percentage_score is None else f"{obj.percentage_score:g}"

    @admin.display(description="started", ordering="started_at")
    def started(self, obj: Assessment) -> str:
        # Short, so the list fits a laptop screen; the report has the full time.
        return date_format(timezone.localtime(obj.started_at), "j M, H:i")

    @admin.display(description="time taken", ordering="_time_taken")
    def time_taken(self, obj: Assessment) -> str:
        return duration_label(getattr(obj, "_time_taken", None))

    @admin.display(description="hints", ordering="_hints")
    def hints(self, obj: Assessment) -> int:
        return int(getattr(obj, "_hints", 0))

    @admin.display(description="integrity", ordering="_integrity")
    def integrity_flags(self, obj: Assessment) -> str:
        summary = integrity_summary_of(obj)
        return format_html('<span class="{}">{}</span>', "flag" if summary.anything else "", summary.line())

    @admin.display(description="decision", ordering="application__status")
    def decision(self, obj: Assessment) -> str:
        # The candidate's application to the test: shortlisted or rejected here, invited before that.
        return obj.application.get_status_display() if obj.application is not None else "-"

    @admin.display(description="report")
    def report(self, obj: Assessment) -> str:
        return format_html('<a href="{}">report</a>', reverse("admin:assessments_assessment_report", args=[obj.pk]))

    def _one_test(self, request: HttpRequest, queryset: QuerySet[Assessment], doing: str = "export") -> Test | None:
        tests = list(Test.objects.filter(pk__in=queryset.values("test_id")).distinct()[:2])
        if len(tests) != 1:
            self.message_user(request, f"Select attempts of one test to {doing} (filter by test).", messages.ERROR)
            return None
        return tests[0]

    @admin.action(description="Compare the selected candidates", permissions=["view"])
    def compare(self, request: HttpRequest, queryset: QuerySet[Assessment]) -> HttpResponse | None:
        test = self._one_test(request, queryset, doing="compare")
        if test is None:
            return None
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True)[:MAX_COMPARED])
        return HttpResponseRedirect(reverse("admin:assessments_test_compare", args=[test.pk]) + f"?ids={ids}")

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("assessments.change_candidateapplication")

    @admin.action(description="Shortlist the selected candidates", permissions=["decide"])
    def shortlist(self, request: HttpRequest, queryset: QuerySet[Assessment]) -> None:
        self._decide(request, queryset, CandidateApplication.Status.SHORTLISTED)

    @admin.action(description="Reject the selected candidates", permissions=["decide"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Assessment]) -> None:
        self._decide(request, queryset, CandidateApplication.Status.REJECTED)

    def _decide(self, request: HttpRequest, queryset: QuerySet[Assessment], status: str) -> None:
        applications = CandidateApplication.objects.filter(pk__in=queryset.values("application_id"))
        without = queryset.filter(application__isnull=True).count()
        changed = applications_status_set(applications=applications, status=status)
        label = CandidateApplication.Status(status).label.lower()
        self.message_user(request, f"{changed} candidate(s) {label}; {applications.count() - changed} already were.")
        if without:
            self.message_user(
                request,
                f"{without} attempt(s) belong to no application (an open test) and were left alone.",
                messages.WARNING,
            )

    @admin.action(description="Export the selected attempts as CSV (one row per attempt)", permissions=["view"])
    def export_results(self, request: HttpRequest, queryset: QuerySet[Assessment]) -> HttpResponse | None:
        test = self._one_test(request, queryset)
        if test is None:
            return None
        return reports.results_csv(test=test, assessments=queryset.order_by("started_at", "id"))

    @admin.action(
        description="Export the selected attempts' answers as CSV (one row per question)", permissions=["view"]
    )
    def export_responses(self, request: HttpRequest, queryset: QuerySet[Assessment]) -> HttpResponse | None:
        test = self._one_test(request, queryset)
        if test is None:
            return None
        return reports.responses_csv(test=test, assessments=queryset)


def reset_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    """Confirm, then delete the attempt and its record so the candidate may start again."""
    assessment: Assessment = object_in_scope(model_admin, request, object_id)
    if not request.user.has_perm("assessments.change_test"):
        raise PermissionDenied
    if request.method == "POST":
        try:
            result = assessment_reset(assessment_id=assessment.pk, by=request.user.get_username())
        except ApplicationError as exc:
            messages.error(request, f"Not reset: {exc.message}")
            return HttpResponseRedirect(reverse("admin:assessments_assessment_report", args=[assessment.pk]))
        messages.success(
            request,
            f"Reset attempt {result.attempt_number} of {result.candidate}: deleted with its "
            f"{result.responses_deleted} answer(s); the candidate may start again.",
        )
        return HttpResponseRedirect(
            reverse("admin:assessments_assessment_changelist") + f"?test__id__exact={result.test_id}"
        )
    context = page_context(
        model_admin,
        request,
        title=f"Reset attempt {assessment.attempt_number} of {assessment.candidate.get_username()}?",
        obj=assessment,
        assessment=assessment,
    )
    return render(request, "admin/assessments/assessment/reset.html", context)
