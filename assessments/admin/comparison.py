"""The side-by-side comparison of selected attempts at one test (from the results list's action)."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from assessments.admin.scoping import object_in_scope, page_context
from assessments.models import Test
from assessments.selectors.comparison import attempts_compare

MAX_COMPARED = 20


def compare_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    """`?ids=3,5,8`: those attempts of the test, best first, with percentile and θ ± SE per skill."""
    test: Test = object_in_scope(model_admin, request, object_id)
    ids = [int(part) for part in request.GET.get("ids", "").split(",") if part.strip().isdigit()][:MAX_COMPARED]
    rows, skills = attempts_compare(test=test, assessment_ids=ids)
    context = page_context(
        model_admin,
        request,
        title=f"Compare candidates: {test.title}",
        obj=test,
        rows=[(row, [(skill, row.skills.get(skill)) for skill in skills]) for row in rows],
        skills=skills,
        pass_percentage=test.pass_percentage,
        max_compared=MAX_COMPARED,
        results_url=reverse("admin:assessments_assessment_changelist") + f"?test__id__exact={test.pk}",
    )
    return render(request, "admin/assessments/test/compare.html", context)
