"""The admin's forms: question editing, candidates by username, and the back-office actions."""

import json
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model

from assessments.errors import ApplicationError
from assessments.models import CandidateApplication, Question, QuestionRegrade, Test
from assessments.selectors.regrades import question_is_void
from assessments.services.blueprints import TEST_FIELD_NAMES, AdminTestFields, TestFields, blueprint_update_check
from assessments.services.candidates import MAX_INVITES, InviteRow, invite_rows_parse
from assessments.services.questions import question_change_check

User = get_user_model()
MAX_INVITE_FILE_BYTES = 1_000_000
MAX_EXTEND_MINUTES = 24 * 60
LOCKED_HELP = "Locked: candidates have answered this question. Change the key or void it with Regrade."


class OptionsField(forms.JSONField):
    """Question options as a JSON list, one option per line when shown."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 6, "cols": 80, "style": "font-family: monospace"}))
        kwargs.setdefault(
            "help_text",
            'A JSON list of 2 to 6 distinct answers, e.g. ["201 Created", "200 OK", "204 No Content"]. '
            "correct_option is the 0-based index of the right one.",
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return super().prepare_value(value)


class QuestionForm(forms.ModelForm):
    """Once a question has been answered its options and key are locked (served option orders and
    scores depend on them): a key change goes through Regrade. A void question stays inactive."""

    options = OptionsField()

    class Meta:
        model = Question
        fields = ("test", "skill", "prompt", "options", "correct_option", "explanation", "difficulty", "active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            return
        if self.instance.responses.exists():
            for name in ("options", "correct_option"):
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = LOCKED_HELP
        if "active" in self.fields and question_is_void(question=self.instance):
            self.fields["active"].disabled = True
            self.fields["active"].help_text = "This question is void and is never asked again."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            question_change_check(
                question=self.instance, fields={n: cleaned[n] for n in self.changed_data if n in cleaned}
            )
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return cleaned


class TestForm(forms.ModelForm):
    """A test's page: a change follows the blueprint service's rules, shown as this form's errors (a
    published test must stay publishable: say, no more questions an attempt than its bank holds)."""

    class Meta:
        model = Test
        fields = list(AdminTestFields.__annotations__)  # exactly what `blueprint_update` writes

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk is not None:
            fields = {name: cleaned[name] for name in self.changed_data if name in TEST_FIELD_NAMES and name in cleaned}
            try:
                blueprint_update_check(test=self.instance, fields=cast(TestFields, fields))
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from exc
        return cleaned


class QuestionActiveForm(forms.ModelForm):
    """The changelist's `active` checkbox: a void question cannot be switched back on."""

    class Meta:
        model = Question
        fields = ("active",)

    def clean_active(self) -> bool:
        active = bool(self.cleaned_data.get("active"))
        try:
            question_change_check(question=self.instance, fields={"active": active})
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return active


class CandidateByUsernameForm(forms.ModelForm):
    """The candidate is typed in by username, so no list of every user is ever rendered."""

    candidate = forms.ModelChoiceField(
        queryset=User._default_manager.all(),
        to_field_name=User.USERNAME_FIELD,
        widget=forms.TextInput,
        help_text="The candidate's username.",
        error_messages={"invalid_choice": "There is no user with that username."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        candidate_id = getattr(self.instance, "candidate_id", None)
        if candidate_id is not None and not self.is_bound:
            self.initial["candidate"] = getattr(self.instance.candidate, User.USERNAME_FIELD)


class ApplicationForm(CandidateByUsernameForm):
    class Meta:
        model = CandidateApplication
        fields = ("candidate", "test", "status", "time_multiplier")
        help_texts = {
            "time_multiplier": "Accommodation: the time limit is multiplied by this (1.0 to 5.0, e.g. 1.25 or 1.5). "
            "It applies to the next attempt, and to a running attempt at once (the candidate is told). "
            "Only recruiters see it.",
        }


# ---------------------------------------------------------------- back-office actions


class InviteForm(forms.Form):
    """Candidates to invite: pasted `username,email` lines, a CSV file with those columns, or both."""

    candidates = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "cols": 60, "style": "font-family: monospace"}),
        help_text=f"One candidate per line: username,email (the email is optional). At most {MAX_INVITES} at a time.",
    )
    csv_file = forms.FileField(
        required=False,
        label="or a CSV file",
        help_text="Columns username,email; a header row is allowed. UTF-8.",
    )

    def clean_csv_file(self) -> str:
        upload = self.cleaned_data.get("csv_file")
        if not upload:
            return ""
        if upload.size and upload.size > MAX_INVITE_FILE_BYTES:
            raise forms.ValidationError(f"The file is over {MAX_INVITE_FILE_BYTES // 1000} kB.")
        try:
            return str(upload.read().decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The file is not UTF-8 text.") from exc

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        text = "\n".join(part for part in (cleaned.get("candidates") or "", cleaned.get("csv_file") or "") if part)
        if not self.errors:
            if not text.strip():
                raise forms.ValidationError("Paste a list of candidates or choose a CSV file.")
            cleaned["rows"] = invite_rows_parse(text=text)  # a ValidationError lists every bad line
        return cleaned

    @property
    def rows(self) -> list[InviteRow]:
        return list(self.cleaned_data["rows"])


class ExtendForm(forms.Form):
    assessment = forms.IntegerField(widget=forms.HiddenInput)
    minutes = forms.IntegerField(min_value=1, max_value=MAX_EXTEND_MINUTES, initial=5)


class TerminateForm(forms.Form):
    assessment = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=500, strip=True)


class AnnounceForm(forms.Form):
    message = forms.CharField(max_length=1000, strip=True, widget=forms.TextInput(attrs={"size": 60}))


class RegradeForm(forms.Form):
    action = forms.ChoiceField(choices=QuestionRegrade.Action.choices, widget=forms.RadioSelect)
    new_correct_option = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="New key", help_text="Only for a key change."
    )
    reason = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="For the record.",
    )

    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = question.option_list
        choices: list[tuple[Any, str]] = [("", "-")]
        choices += [
            (i, f"{i}: {text}{' (current key)' if i == question.correct_option else ''}")
            for i, text in enumerate(options)
        ]
        self.fields["new_correct_option"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("action") == QuestionRegrade.Action.REKEY and cleaned.get("new_correct_option") is None:
            self.add_error("new_correct_option", "Choose the new key.")
        return cleaned
