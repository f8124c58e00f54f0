"""Candidates' applications: invite (here one by username; many from the test's Invite page),
shortlist or reject, the accommodation (time multiplier), which a running attempt feels at once, and
a candidate's own deadline to start."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from assessments.admin.forms import ApplicationForm
from assessments.admin.scoping import RecruiterScopedAdmin
from assessments.models import CandidateApplication
from assessments.services.candidates import application_save, applications_status_set


@admin.register(CandidateApplication)
class CandidateApplicationAdmin(RecruiterScopedAdmin):
    form = ApplicationForm
    list_display = ("candidate", "email", "test", "status", "time_multiplier", "closes_at", "attempts", "created_at")
    list_filter = ("status", ("test", admin.RelatedOnlyFieldListFilter))
    search_fields = ("candidate__username", "candidate__email", "test__title")
    list_select_related = ("candidate", "test")
    fields = ("candidate", "test", "status", "time_multiplier", "closes_at", "reminded_at", "created_at", "updated_at")
    readonly_fields = ("reminded_at", "created_at", "updated_at")
    actions = ("shortlist", "reject")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(_attempts=Count("assessments"))

    @admin.display(description="attempts", ordering="_attempts")
    def attempts(self, obj: CandidateApplication) -> int:
        return int(getattr(obj, "_attempts", 0))

    @admin.display(description="email", ordering="candidate__email")
    def email(self, obj: CandidateApplication) -> str:
        return str(getattr(obj.candidate, "email", ""))

    def save_model(self, request: HttpRequest, obj: CandidateApplication, form: forms.ModelForm, change: bool) -> None:
        """Through `application_save`: a changed multiplier moves a running attempt's deadline with it,
        and the candidate hears `time_extended` (after this request's transaction commits)."""
        application_save(application=obj, fields={name: getattr(obj, name) for name in form.changed_data})

    @admin.action(description="Shortlist the selected candidates", permissions=["change"])
    def shortlist(self, request: HttpRequest, queryset: QuerySet[CandidateApplication]) -> None:
        changed = applications_status_set(applications=queryset, status=CandidateApplication.Status.SHORTLISTED)
        self.message_user(request, f"Shortlisted {changed} candidate(s).", messages.SUCCESS)

    @admin.action(description="Reject the selected candidates", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[CandidateApplication]) -> None:
        changed = applications_status_set(applications=queryset, status=CandidateApplication.Status.REJECTED)
        self.message_user(request, f"Rejected {changed} candidate(s).", messages.SUCCESS)
