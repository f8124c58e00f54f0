"""Preview a test as a candidate: its introduction, then questions picked as an attempt picks them and
the feedback its mode gives, from the admin. No attempt, response or event is written: nothing shows
in results, and no candidate's attempt is used."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from assessments.admin.scoping import object_in_scope
from assessments.models import Question, Test
from assessments.selectors.preview import PreviewState, preview_ability, preview_answer, preview_bank, preview_pick

TEMPLATE = "admin/assessments/test/preview.html"


def preview_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    test: Test = object_in_scope(model_admin, request, object_id)
    state = PreviewState.of(request.POST.get("state") or request.GET.get("state"), test=test)
    context: dict[str, object] = {
        "test": test,
        "page": "preview",
        "admin_url": reverse("admin:assessments_test_change", args=[test.pk]),
        "preview_url": reverse("admin:assessments_test_preview", args=[test.pk]),
        "minutes": test.time_limit_minutes,
    }
    if request.method == "POST":
        if state.current is None:  # a state that expired or was tampered with: start over
            return render(request, TEMPLATE, {**context, "intro": True, "state": PreviewState().signed(test=test)})
        try:
            served = [int(value) for value in request.POST.getlist("answer")]
            state, item, credit = preview_answer(test=test, state=state, served=served)
        except ValueError:
            context["error"] = "Choose an answer first."
        else:
            context.update(
                answered=item,
                right=credit >= 1.0,
                credit=credit,
                key=" · ".join(item.options[i] for i in item.key),
            )
    elif request.GET.get("start") or state.answers:
        state = preview_pick(test=test, state=state)
    else:
        return render(request, TEMPLATE, {**context, "intro": True, "state": state.signed(test=test)})
    if "answered" in context:
        pass
    elif state.current is not None:
        question_id, order = state.current
        item = preview_bank(test=test).items[question_id]
        context.update(
            question=item,
            multiple=item.kind == Question.Kind.MULTIPLE,
            options=[(index, item.options[i]) for index, i in enumerate(order)],
        )
    else:
        context.update(done=True, ability=preview_ability(test=test, state=state))
    context.update(
        state=state.signed(test=test),
        position=len(state.answers) + (0 if "answered" in context else 1),
        total=test.total_questions,
        right_count=round(sum(credit for _q, credit in state.answers), 2),
        answered_count=len(state.answers),
        last=len(state.answers) >= test.total_questions,
    )
    return render(request, TEMPLATE, context)
