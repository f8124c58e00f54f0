"""The live monitor of a test: who is connected now, their progress and time, integrity events.

The page renders the current state and a small script refreshes it from the JSON endpoint every
few seconds. The state is read from the database every worker writes (CandidateSession and the
attempts), so it shows connections on every worker. The actions go through the attempt services,
which push to the candidate over the channel layer after commit, on whichever worker they are.
"""

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from assessments.admin.forms import AnnounceForm, ExtendForm, TerminateForm
from assessments.admin.scoping import object_in_scope, only, page_context
from assessments.errors import ApplicationError
from assessments.models import Assessment, Test
from assessments.selectors.analytics import blueprint_live_state
from assessments.services.attempts import assessment_extend, assessment_terminate
from assessments.services.live import blueprint_announce

POLL_SECONDS = 3


def _monitor_url(test: Test) -> str:
    return reverse("admin:assessments_test_monitor", args=[test.pk])


def clock(seconds: int | None) -> str:
    """`m:ss` or `h:mm:ss`, as the page's script shows it; `-` for none."""
    if seconds is None:
        return "-"
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def monitor_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    test: Test = object_in_scope(model_admin, request, object_id)
    can_act = model_admin.has_change_permission(request, test)
    state = blueprint_live_state(test=test)
    for row in state["rows"]:
        row["clock"] = clock(row["remaining_seconds"])
    context = page_context(
        model_admin,
        request,
        title=f"Live monitor: {test.title}",
        obj=test,
        state=state,
        can_act=can_act,
        announce_form=AnnounceForm(),
        poll_seconds=POLL_SECONDS,
        data_url=reverse("admin:assessments_test_monitor_data", args=[test.pk]),
        extend_url=reverse("admin:assessments_test_monitor_extend", args=[test.pk]),
        terminate_url=reverse("admin:assessments_test_monitor_terminate", args=[test.pk]),
        announce_url=reverse("admin:assessments_test_monitor_announce", args=[test.pk]),
    )
    return render(request, "admin/assessments/test/monitor.html", context)


@only("GET", "HEAD")
def monitor_data_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> JsonResponse:
    test: Test = object_in_scope(model_admin, request, object_id)
    return JsonResponse(blueprint_live_state(test=test))


def _running_attempt_of(test: Test, assessment_id: int) -> Assessment | None:
    return Assessment.objects.filter(pk=assessment_id, test=test).select_related("candidate").first()


def _form_errors(form: ExtendForm | TerminateForm | AnnounceForm) -> str:
    return "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items())


@only("POST")
def monitor_extend_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    test: Test = object_in_scope(model_admin, request, object_id, change=True)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not extended: {_form_errors(form)}")
        return HttpResponseRedirect(_monitor_url(test))
    assessment = _running_attempt_of(test, form.cleaned_data["assessment"])
    if assessment is None:
        messages.error(request, "Not extended: that attempt is not part of this test.")
        return HttpResponseRedirect(_monitor_url(test))
    minutes = form.cleaned_data["minutes"]
    try:
        extended = assessment_extend(assessment_id=assessment.pk, minutes=minutes)
    except ApplicationError as exc:
        messages.error(request, f"Not extended: {exc.message}")
    else:
        messages.success(
            request,
            f"Gave {assessment.candidate.get_username()} {minutes} more minute(s); "
            f"the attempt now ends at {extended.deadline_at:%H:%M:%S} UTC.",
        )
    return HttpResponseRedirect(_monitor_url(test))


@only("POST")
def monitor_terminate_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    test: Test = object_in_scope(model_admin, request, object_id, change=True)
    form = TerminateForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not terminated: {_form_errors(form)}")
        return HttpResponseRedirect(_monitor_url(test))
    assessment = _running_attempt_of(test, form.cleaned_data["assessment"])
    if assessment is None:
        messages.error(request, "Not terminated: that attempt is not part of this test.")
        return HttpResponseRedirect(_monitor_url(test))
    try:
        assessment_terminate(assessment_id=assessment.pk, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        messages.error(request, f"Not terminated: {exc.message}")
    else:
        messages.success(request, f"Terminated the attempt of {assessment.candidate.get_username()}.")
    return HttpResponseRedirect(_monitor_url(test))


@only("POST")
def monitor_announce_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    test: Test = object_in_scope(model_admin, request, object_id, change=True)
    form = AnnounceForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not sent: {_form_errors(form)}")
        return HttpResponseRedirect(_monitor_url(test))
    try:
        blueprint_announce(test=test, message=form.cleaned_data["message"])
    except ApplicationError as exc:
        messages.error(request, f"Not sent: {exc.message}")
    else:
        messages.success(request, "Announcement sent to everyone connected to this test.")
    return HttpResponseRedirect(_monitor_url(test))
