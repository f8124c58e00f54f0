"""A test's question bank in and out of files: the import page (check first, then import) and the
CSV or GIFT download."""

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify

from assessments.admin.forms import uploaded_text
from assessments.admin.scoping import object_in_scope, only, page_context
from assessments.errors import ApplicationError
from assessments.models import Question, Test
from assessments.services.bank_transfer import (
    bank_export_csv,
    bank_export_gift,
    bank_import,
    questions_parse_csv,
    questions_parse_gift,
)

MAX_IMPORT_FILE_BYTES = 2_000_000
PARSERS = {"csv": questions_parse_csv, "gift": questions_parse_gift}
DOWNLOADS = {"csv": (bank_export_csv, "text/csv", "csv"), "gift": (bank_export_gift, "text/plain", "gift")}


class BankImportForm(forms.Form):
    """The questions to import: an uploaded file or pasted text, in one format."""

    format = forms.ChoiceField(
        choices=[("csv", "CSV"), ("gift", "GIFT (Moodle)")], initial="csv", widget=forms.RadioSelect
    )
    upload = forms.FileField(required=False, label="File", help_text="UTF-8; a CSV file or a GIFT .txt / .gift file.")
    text = forms.CharField(
        required=False,
        label="or pasted text",
        widget=forms.Textarea(attrs={"rows": 12, "cols": 90, "style": "font-family: monospace"}),
    )
    skill = forms.ChoiceField(
        required=False,
        label="Skill of questions without one",
        help_text="For CSV rows with an empty skill and GIFT questions before any $CATEGORY.",
    )

    def __init__(self, *args: Any, test: Test, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["skill"]).choices = [(s.name, s.name) for s in test.skills.all()]

    def clean_upload(self) -> str:
        return uploaded_text(
            self.cleaned_data.get("upload"),
            max_bytes=MAX_IMPORT_FILE_BYTES,
            limit=f"{MAX_IMPORT_FILE_BYTES // 1_000_000} MB",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not (cleaned.get("upload") or cleaned.get("text", "").strip()):
            raise forms.ValidationError("Choose a file or paste the questions.")
        return cleaned

    @property
    def content(self) -> str:
        return str(self.cleaned_data["upload"] or self.cleaned_data["text"])


@only("GET", "POST")
def import_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    """Check a file (a dry run, the default button) or import it; either way every problem is listed
    by line and nothing is imported until there is none. Until an import succeeds the text (an uploaded
    file's too) stays in the form, to be fixed in place, and Import adds exactly what was checked."""
    test: Test = object_in_scope(model_admin, request, object_id, change=True)
    report = None
    problems: list[str] = []
    form = BankImportForm(test=test)
    if request.method == "POST":
        form = BankImportForm(request.POST, request.FILES, test=test)
        if form.is_valid():
            dry_run = "import" not in request.POST
            parsed = PARSERS[form.cleaned_data["format"]](text=form.content, skill=form.cleaned_data["skill"])
            try:
                report = bank_import(test=test, parsed=parsed, dry_run=dry_run)
            except ApplicationError as exc:
                problems = [exc.message, *exc.extra.get("problems", [])]
            imported = report is not None and not dry_run
            kept = {"format": form.cleaned_data["format"], "skill": form.cleaned_data["skill"]}
            form = BankImportForm(test=test, initial={**kept, "text": "" if imported else form.content})
    context = page_context(
        model_admin,
        request,
        title=f"Import questions: {test.title}",
        obj=test,
        form=form,
        report=report,
        problems=problems,
        has_skills=test.skills.exists(),
        bank_size=Question.objects.filter(test=test, source=Question.Source.BANK, active=True).count(),
        bank_url=reverse("admin:assessments_question_changelist") + f"?test__id__exact={test.pk}&source__exact=bank",
    )
    return render(request, "admin/assessments/test/import_questions.html", context)


@only("GET")
def export_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    """The active bank as a file to download: `?format=csv` (the default) or `?format=gift`."""
    test: Test = object_in_scope(model_admin, request, object_id)
    chosen = request.GET.get("format", "csv")
    if chosen not in DOWNLOADS:
        return HttpResponseBadRequest("format must be csv or gift")
    write, content_type, suffix = DOWNLOADS[chosen]
    response = HttpResponse(write(test=test), content_type=f"{content_type}; charset=utf-8")
    filename = f"test-{test.pk}-{slugify(test.title)[:40] or 'untitled'}-questions.{suffix}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
