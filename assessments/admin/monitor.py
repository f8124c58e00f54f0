"""The live monitor of a test: who is connected now, their progress and time, integrity events.

The page renders the current state and a small script refreshes it from the JSON endpoint every
few seconds. The state is read from the database every worker writes (CandidateSession and the
attempts), so it shows connections on every worker. The actions go through the attempt services,
which push to the candidate over the channel layer after commit, on whichever worker they are.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from assessments.admin.forms import AnnounceForm, ExtendForm, TerminateForm
from assessments.admin.scoping import object_in_scope, only, page_context
from assessments.errors import ApplicationError, BackOfficeCode
from assessments.models import Assessment, Test
from assessments.selectors.monitor import blueprint_live_state
from assessments.services.attempt_control import assessment_extend, assessment_terminate, assessments_expire_due
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
    assessments_expire_due(test_id=test.pk)
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
    assessments_expire_due(test_id=test.pk)
    return JsonResponse(blueprint_live_state(test=test))


def _attempt_in(test: Test, assessment_id: int) -> Assessment:
    assessment = Assessment.objects.filter(pk=assessment_id, test=test).select_related("candidate").first()
    if assessment is None:
        raise ApplicationError(
            BackOfficeCode.ASSESSMENT_NOT_FOUND, "that attempt is not part of this test.", status=404
        )
    return assessment


ActionForm = ExtendForm | TerminateForm | AnnounceForm


def _form_errors(form: ActionForm) -> str:
    return "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items())


def _monitor_action(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    object_id: int,
    *,
    form_class: type[ActionForm],
    refused: str,
    act: Callable[[Test, dict[str, Any]], str],
) -> HttpResponse:
    """A monitor action: `act(test, cleaned_data)` returns what to tell the recruiter; back to the monitor.

    An invalid form or an `ApplicationError` becomes an error message that starts with `refused`.
    """
    test: Test = object_in_scope(model_admin, request, object_id, change=True)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, f"{refused}: {_form_errors(form)}")
        return HttpResponseRedirect(_monitor_url(test))
    try:
        done = act(test, form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, f"{refused}: {exc.message}")
    else:
        messages.success(request, done)
    return HttpResponseRedirect(_monitor_url(test))


def _extend(test: Test, data: dict[str, Any]) -> str:
    assessment = _attempt_in(test, data["assessment"])
    extended = assessment_extend(assessment_id=assessment.pk, minutes=data["minutes"])
    return (
        f"Gave {assessment.candidate.get_username()} {data['minutes']} more minute(s); "
        f"the attempt now ends at {extended.deadline_at:%H:%M:%S} UTC."
    )


def _terminate(test: Test, data: dict[str, Any]) -> str:
    assessment = _attempt_in(test, data["assessment"])
    assessment_terminate(assessment_id=assessment.pk, reason=data["reason"])
    return f"Terminated the attempt of {assessment.candidate.get_username()}."


def _announce(test: Test, data: dict[str, Any]) -> str:
    blueprint_announce(test=test, message=data["message"])
    return "Announcement sent to everyone connected to this test."


@only("POST")
def monitor_extend_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    return _monitor_action(model_admin, request, object_id, form_class=ExtendForm, refused="Not extended", act=_extend)


@only("POST")
def monitor_terminate_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    return _monitor_action(
        model_admin, request, object_id, form_class=TerminateForm, refused="Not terminated", act=_terminate
    )


@only("POST")
def monitor_announce_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    return _monitor_action(model_admin, request, object_id, form_class=AnnounceForm, refused="Not sent", act=_announce)
