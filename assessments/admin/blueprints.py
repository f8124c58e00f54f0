"""Tests (blueprints): skills and the question bank inline; duplicate, publish and archive; links to
each test's live monitor, results, analytics and candidate invitations."""

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.db.models import Count, ForeignKey, Model, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html_join

from assessments.admin import bank_transfer, comparison, monitor, preview, reports
from assessments.admin.forms import OPTION_FIELDS, InviteForm, QuestionForm, TestForm
from assessments.admin.questions import question_added
from assessments.admin.scoping import (
    RecruiterScopedAdmin,
    adopt_saved,
    object_in_scope,
    page_context,
    sees_all_tests,
)
from assessments.errors import ApplicationError
from assessments.models import Assessment, CandidateApplication, Question, Skill, Test
from assessments.selectors.access import blueprint_window_state
from assessments.services.blueprints import (
    AdminTestFields,
    TestFields,
    blueprint_archive,
    blueprint_create,
    blueprint_delete,
    blueprint_duplicate,
    blueprint_publish,
    blueprint_update,
)
from assessments.services.candidates import candidates_invite
from assessments.services.invitations import invitations_email
from assessments.services.questions import question_delete, question_update
from assessments.services.skills import SKILL_FIELDS, skill_add, skill_delete, skill_update

User = get_user_model()


class SkillInline(admin.TabularInline):
    model = Skill
    fields = ("name", "weight", "difficulty", "order")
    extra = 1


class QuestionInlineFormSet(BaseInlineFormSet):
    """A question may only use a skill of the test it belongs to."""

    def add_fields(self, form: forms.BaseForm, index: int | None) -> None:
        super().add_fields(form, index)
        skill_field = form.fields.get("skill")
        if isinstance(skill_field, forms.ModelChoiceField):
            skill_field.queryset = Skill.objects.filter(test=self.instance.pk)


class QuestionInline(admin.StackedInline):
    model = Question
    form = QuestionForm
    formset = QuestionInlineFormSet
    verbose_name = "bank question"
    verbose_name_plural = "question bank"
    fields = ("skill", "prompt", *OPTION_FIELDS, "kind", "key", "keys", "explanation", "difficulty", "active")
    extra = 0
    show_change_link = True
    classes = ("collapse",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Question]:
        return super().get_queryset(request).filter(source=Question.Source.BANK)


@admin.register(Test)
class TestAdmin(RecruiterScopedAdmin):
    form = TestForm
    owner_lookup = "created_by"
    list_display = (
        "title",
        "pages",
        "status",
        "window",
        "total_questions",
        "time_limit_minutes",
        "max_attempts",
        "skill_count",
        "bank_size",
        "pending_review",
        "created_by",
    )
    list_filter = ("status", "feedback_mode", "requires_application")
    search_fields = ("title", "description", "job_description")
    list_select_related = ("created_by",)
    # Publishing has its readiness check and archiving its own rules: both are actions, never an edit.
    readonly_fields = ("status", "created_at", "updated_at")
    inlines = (SkillInline, QuestionInline)
    actions = ("duplicate", "publish", "archive")

    def get_urls(self) -> list[URLPattern]:
        def page(route: str, view: Callable[..., HttpResponse], name: str) -> URLPattern:
            def wrapped(request: HttpRequest, object_id: int) -> HttpResponse:
                return view(self, request, object_id)

            return path(
                f"<int:object_id>/{route}", self.admin_site.admin_view(wrapped), name=f"assessments_test_{name}"
            )

        return [
            page("monitor/", monitor.monitor_view, "monitor"),
            page("monitor/data/", monitor.monitor_data_view, "monitor_data"),
            page("monitor/extend/", monitor.monitor_extend_view, "monitor_extend"),
            page("monitor/terminate/", monitor.monitor_terminate_view, "monitor_terminate"),
            page("monitor/announce/", monitor.monitor_announce_view, "monitor_announce"),
            page("analytics/", reports.analytics_view, "analytics"),
            page("compare/", comparison.compare_view, "compare"),
            page("preview/", preview.preview_view, "preview"),
            page("questions/import/", bank_transfer.import_view, "import_questions"),
            page("questions/export/", bank_transfer.export_view, "export_questions"),
            page("results.csv", reports.results_csv_view, "results_csv"),
            page("responses.csv", reports.responses_csv_view, "responses_csv"),
            page("invite/", invite_view, "invite"),
            *super().get_urls(),
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _skill_count=Count("skills", distinct=True),
                _bank_size=Count(
                    "questions",
                    filter=Q(questions__source=Question.Source.BANK, questions__active=True),
                    distinct=True,
                ),
                _pending_review=Count(
                    "questions",
                    filter=Q(questions__source=Question.Source.GENERATED, questions__active=True),
                    distinct=True,
                ),
            )
        )

    def get_list_filter(self, request: HttpRequest) -> Any:
        if sees_all_tests(request):
            return (*self.list_filter, ("created_by", admin.RelatedOnlyFieldListFilter))
        return self.list_filter

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if sees_all_tests(request) else ("created_by", *readonly)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"created_by": request.user.pk, **super().get_changeform_initial_data(request)}

    def get_inline_instances(self, request: HttpRequest, obj: Model | None = None) -> list[Any]:
        inlines = super().get_inline_instances(request, obj)
        if obj is None:  # a new test has no skills yet for its questions to use
            inlines = [inline for inline in inlines if not isinstance(inline, QuestionInline)]
        return inlines

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "created_by":
            kwargs["queryset"] = User._default_manager.filter(is_staff=True)
            kwargs["help_text"] = "The recruiter who owns this test; left empty, it becomes you."
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Test, form: forms.ModelForm, change: bool) -> None:
        """A change goes through `blueprint_update` (its lock and rules), a new test through `blueprint_create`."""
        if change:
            fields = {name: getattr(obj, name) for name in form.changed_data}
            blueprint_update(test=obj, fields=cast(AdminTestFields, fields))
            return
        owner = obj.created_by if obj.created_by_id is not None and sees_all_tests(request) else request.user
        written = {name: getattr(obj, name) for name in form.fields if name != "created_by"}
        adopt_saved(obj, blueprint_create(created_by=cast(AuthUser, owner), fields=cast(TestFields, written)))

    def delete_model(self, request: HttpRequest, obj: Test) -> None:
        blueprint_delete(test=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Test]) -> None:
        for test in queryset:
            blueprint_delete(test=test)

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        """Skills and bank questions are added, changed and deleted through their services and rules."""
        test = form.instance
        formset.save(commit=False)
        if formset.model is Skill:
            for skill in formset.deleted_objects:
                skill_delete(skill=skill)
            for skill, changed in formset.changed_objects:  # before the new ones, which may take an old name
                skill_update(skill=skill, fields={name: getattr(skill, name) for name in changed})
            for skill in formset.new_objects:
                adopt_saved(skill, skill_add(test=test, fields={name: getattr(skill, name) for name in SKILL_FIELDS}))
            return
        for question in formset.deleted_objects:
            question_delete(question=question)
        for question, changed in formset.changed_objects:
            question_update(question=question, fields={name: getattr(question, name) for name in changed})
        for question in formset.new_objects:
            adopt_saved(question, question_added(test=test, question=question))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "test_links": self._links(object_id)}
        return super().change_view(request, object_id, form_url, extra)

    @staticmethod
    def _links(object_id: object) -> list[tuple[str, str]]:
        args = [object_id]
        return [
            ("Live monitor", reverse("admin:assessments_test_monitor", args=args)),
            ("Results", reverse("admin:assessments_assessment_changelist") + f"?test__id__exact={object_id}"),
            ("Analytics", reverse("admin:assessments_test_analytics", args=args)),
            ("Invite candidates", reverse("admin:assessments_test_invite", args=args)),
            ("Preview as candidate", reverse("admin:assessments_test_preview", args=args)),
            ("Import / export questions", reverse("admin:assessments_test_import_questions", args=args)),
            (
                "Candidates",
                reverse("admin:assessments_candidateapplication_changelist") + f"?test__id__exact={object_id}",
            ),
            (
                "Generated items",
                reverse("admin:assessments_question_changelist")
                + f"?test__id__exact={object_id}&source__exact=generated",
            ),
        ]

    # ------------------------------------------------------------ columns

    @admin.display(description="window")
    def window(self, obj: Test) -> str:
        return blueprint_window_state(test=obj)

    @admin.display(description="skills", ordering="_skill_count")
    def skill_count(self, obj: Test) -> int:
        return int(getattr(obj, "_skill_count", 0))

    @admin.display(description="active bank questions", ordering="_bank_size")
    def bank_size(self, obj: Test) -> int:
        return int(getattr(obj, "_bank_size", 0))

    @admin.display(description="generated, to review", ordering="_pending_review")
    def pending_review(self, obj: Test) -> int:
        return int(getattr(obj, "_pending_review", 0))

    @admin.display(description="pages")
    def pages(self, obj: Test) -> str:
        return format_html_join("", '<a href="{}">{}</a><br>', ((url, label) for label, url in self._links(obj.pk)[:4]))

    # ------------------------------------------------------------ actions

    @admin.action(description="Duplicate the selected tests (as drafts you own)", permissions=["add"])
    def duplicate(self, request: HttpRequest, queryset: QuerySet[Test]) -> None:
        copies = [blueprint_duplicate(test=test, by=request.user) for test in queryset]  # type: ignore[arg-type]
        titles = ", ".join(copy.title for copy in copies)
        self.message_user(request, f"Created {len(copies)} draft copy(ies): {titles}.", messages.SUCCESS)

    @admin.action(description="Publish the selected tests", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Test]) -> None:
        published = 0
        for test in queryset:
            try:
                blueprint_publish(test=test, by=request.user)  # type: ignore[arg-type]
            except ApplicationError as exc:
                self.message_user(request, f"{test.title}: not published: {exc.message}", messages.ERROR)
            else:
                published += 1
        if published:
            self.message_user(request, f"Published {published} test(s).", messages.SUCCESS)

    @admin.action(description="Archive the selected tests", permissions=["change"])
    def archive(self, request: HttpRequest, queryset: QuerySet[Test]) -> None:
        archived = [blueprint_archive(test=test) for test in queryset]
        self.message_user(request, f"Archived {len(archived)} test(s).", messages.SUCCESS)


def invite_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    """Invite one or many candidates from a pasted list or a CSV file. Each with an email address gets
    an invitation with a one-time sign-in link; new accounts without one get a password, shown once."""
    test: Test = object_in_scope(model_admin, request, object_id, change=True)
    report = mail = None
    if request.method == "POST":
        form = InviteForm(request.POST, request.FILES)
        if form.is_valid():
            report = candidates_invite(test=test, rows=form.rows)
            mail = invitations_email(applications=report.applications, base_url=request.build_absolute_uri("/"))
            form = InviteForm()
    else:
        form = InviteForm()
    context = page_context(
        model_admin,
        request,
        title=f"Invite candidates: {test.title}",
        obj=test,
        form=form,
        report=report,
        mail=mail,
        link_hours=settings.JATAYU_SIGN_IN_LINK_HOURS,
        credentials_csv="\n".join(
            ["username,email,password", *(f"{u},{e},{p}" for u, e, p in (report.created if report else []))]
        ),
        applications=CandidateApplication.objects.filter(test=test).count(),
        attempts=Assessment.objects.filter(test=test).count(),
        candidates_url=reverse("admin:assessments_candidateapplication_changelist") + f"?test__id__exact={test.pk}",
    )
    return render(request, "admin/assessments/test/invite.html", context)
