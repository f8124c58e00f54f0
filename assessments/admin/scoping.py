"""Who sees what: superusers every test, any other staff user (a recruiter) only the tests they created.

Everything hanging off a test (questions, applications, attempts) is scoped through it, and so are
related-object choices and every custom page: an object outside the recruiter's scope is simply
not found (404).
"""

import csv
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import ForeignKey, Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed

from assessments.csv_cells import csv_cell
from assessments.models import CandidateApplication, Skill, Test


def sees_all_tests(request: HttpRequest) -> bool:
    """Superusers see every test; any other staff user only the tests they created."""
    return bool(getattr(request.user, "is_superuser", False))


def own_tests(request: HttpRequest) -> QuerySet[Test]:
    tests = Test.objects.all()
    return tests if sees_all_tests(request) else tests.filter(created_by=request.user.pk)


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


def csv_response(*, filename: str, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> HttpResponse:
    """A CSV download; cells that spreadsheets would read as formulas are neutralized."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(name)) for name in columns])
    return response


class RecordAdmin(RecruiterScopedAdmin):
    """A record to read: never added, changed or deleted through the admin (services write it)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


def adopt_saved(obj: Model, saved: Model) -> None:
    """Make the admin's unsaved `obj` the row a service created as `saved`: the admin then logs,
    redirects and saves the inlines against it as if it had saved `obj` itself."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding, obj._state.db = False, saved._state.db


def object_in_scope(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: object, *, change: bool = False
) -> Any:
    """The object of a custom admin page: 404 outside the recruiter's scope, 403 without the permission."""
    obj = model_admin.get_object(request, str(object_id))
    if obj is None:
        raise Http404(f"No {model_admin.opts.verbose_name} with id {object_id} in your tests.")
    allowed = (
        model_admin.has_change_permission(request, obj) if change else model_admin.has_view_permission(request, obj)
    )
    if not allowed:
        raise PermissionDenied
    return obj


def page_context(
    model_admin: admin.ModelAdmin, request: HttpRequest, *, title: str, obj: Any, **extra: Any
) -> dict[str, Any]:
    """What the admin's base templates need (site header, breadcrumbs' opts), plus `extra`."""
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "app_label": model_admin.opts.app_label,
        "original": obj,
        "title": title,
        "subtitle": None,
        **extra,
    }


AdminPage = Callable[[admin.ModelAdmin, HttpRequest, int], HttpResponse]


def only(*methods: str) -> Callable[[AdminPage], AdminPage]:
    """`require_http_methods` for the custom pages, which take the ModelAdmin before the request."""

    def decorate(view: AdminPage) -> AdminPage:
        @functools.wraps(view)
        def checked(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(model_admin, request, object_id)

        return checked

    return decorate
