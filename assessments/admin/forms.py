"""The admin's forms: question editing, candidates by username, and the back-office actions."""

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.functional import cached_property

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


MAX_OPTIONS = 6
OPTION_FIELDS = [f"option_{i + 1}" for i in range(MAX_OPTIONS)]
# The form's own fields, and the model field each one writes.
FORM_TO_MODEL = {**dict.fromkeys(OPTION_FIELDS, "options"), "key": "correct_option", "keys": "correct_options"}
MODEL_TO_FORM = {"options": "option_1", "correct_option": "key", "correct_options": "keys"}
OPTION_CHOICES = [(i, f"Option {i + 1}") for i in range(MAX_OPTIONS)]


def _option_field(number: int) -> forms.CharField:
    return forms.CharField(
        label=f"Option {number}",
        required=number <= 2,
        max_length=500,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text="At least two options; leave the ones you do not need empty." if number == 1 else "",
    )


class QuestionForm(forms.ModelForm):
    """One field per option and a radio button for the right one, stored as the options list and the
    key's index; a question with several correct options ticks each of them instead (at least two, and
    one left wrong). Once a question has been answered its options and key are locked (served option
    orders and scores depend on them): a key change goes through Regrade. A void question stays
    inactive."""

    option_1, option_2, option_3, option_4, option_5, option_6 = (_option_field(n) for n in range(1, 7))
    key = forms.TypedChoiceField(
        label="Correct option",
        choices=OPTION_CHOICES,
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        help_text="One correct option: the right answer. Candidates see the options in a shuffled order.",
    )
    keys = forms.TypedMultipleChoiceField(
        label="Correct options",
        choices=OPTION_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Several correct options: tick every right answer (at least two, and leave at least one "
        "wrong). The test's multi-select scoring says whether a partly right answer earns part of the marks.",
    )

    class Meta:
        model = Question
        fields = ("test", "skill", "prompt", "kind", "explanation", "difficulty", "active")
        widgets = {"kind": forms.RadioSelect}
        labels = {"kind": "Answer type"}
        help_texts = {
            "kind": "One correct option (fill in Correct option), or several (tick them under Correct options).",
            "prompt": "The question as the candidate reads it, with no hint of the answer.",
            "explanation": "Why the right option is right: shown to candidates only when the test's feedback is Full.",
            "difficulty": "How hard it is meant to be; the adaptive order asks easier or harder ones from it.",
            "active": "Only active questions are asked.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "kind" in self.fields:
            self.fields["kind"].required = False  # left out (an older page, the bank inline): one correct option
        options = list(self.instance.options or []) if self.instance.pk else []
        for name, text in zip(OPTION_FIELDS, options, strict=False):
            self.initial.setdefault(name, text)
        if self.instance.pk:
            self.initial.setdefault("key", self.instance.correct_option)
            if self.instance.kind == Question.Kind.MULTIPLE:
                self.initial.setdefault("keys", list(self.instance.key))
        if self.instance.pk is None:
            return
        if self.instance.responses.exists():
            for name in [*OPTION_FIELDS, "key", "keys", "kind"]:
                if name in self.fields:
                    self.fields[name].disabled = True
            for name in ("key", "keys"):
                if name in self.fields:
                    self.fields[name].help_text = LOCKED_HELP
        if "active" in self.fields and question_is_void(question=self.instance):
            self.fields["active"].disabled = True
            self.fields["active"].help_text = "This question is void and is never asked again."

    @cached_property
    def changed_data(self) -> list[str]:
        """What changed, by the model's field names, as the question services take them."""
        changed = forms.BaseForm.changed_data.func(self)  # type: ignore[attr-defined]
        return list(dict.fromkeys(FORM_TO_MODEL.get(name, name) for name in changed))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "kind" in self.fields and not cleaned.get("kind"):
            cleaned["kind"] = self.instance.kind or Question.Kind.SINGLE
        if "option_1" in self.fields:
            self._options_clean(cleaned)
        try:
            question_change_check(
                question=self.instance, fields={n: cleaned[n] for n in self.changed_data if n in cleaned}
            )
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return cleaned

    def add_error(self, field: str | None, error: Any) -> None:
        """The model's errors about `options` and `correct_option` belong to this form's option fields."""
        if isinstance(error, forms.ValidationError) and hasattr(error, "error_dict"):
            moved = {MODEL_TO_FORM.get(name, name): errors for name, errors in error.error_dict.items()}
            if "key" in moved and self.has_error("key"):
                moved.pop("key")  # already said, in this form's words
            error = forms.ValidationError(moved) if moved else None
            if error is None:
                return
        super().add_error(MODEL_TO_FORM.get(field, field) if field else field, error)

    def _options_clean(self, cleaned: dict[str, Any]) -> None:
        texts = [(cleaned.get(name) or "").strip() for name in OPTION_FIELDS]
        filled = [text for text in texts if text]
        if texts[: len(filled)] != filled:
            raise forms.ValidationError("Fill the options in order, with no empty one between two others.")
        if (cleaned.get("kind") or self.instance.kind) == Question.Kind.MULTIPLE:
            self._keys_clean(cleaned, filled)
            return
        key = cleaned.get("key")
        if key is None or key >= len(filled):
            self.add_error("key", "Pick the correct option among the ones filled in.")
            return
        cleaned["options"], cleaned["correct_option"], cleaned["correct_options"] = filled, key, []
        self.instance.options, self.instance.correct_option, self.instance.correct_options = filled, key, []

    def _keys_clean(self, cleaned: dict[str, Any], filled: list[str]) -> None:
        keys = sorted(set(cleaned.get("keys") or []))
        if any(key >= len(filled) for key in keys):
            self.add_error("keys", "Tick correct options only among the ones filled in.")
            return
        if len(keys) < 2 or len(keys) >= len(filled):
            self.add_error("keys", "Tick at least two correct options, and leave at least one wrong.")
            return
        cleaned["options"], cleaned["correct_options"], cleaned["correct_option"] = filled, keys, keys[0]
        self.instance.options, self.instance.correct_options, self.instance.correct_option = filled, keys, keys[0]


class TestForm(forms.ModelForm):
    """A test's page: a change follows the blueprint service's rules, shown as this form's errors (a
    published test must stay publishable: say, no more questions an attempt than its bank holds)."""

    class Meta:
        model = Test
        fields = list(AdminTestFields.__annotations__)  # exactly what `blueprint_update` writes
        labels = {
            "se_target": "Stop early at precision",
            "multi_select_scoring": "Scoring of questions with several correct options",
            "max_exposure_rate": "Maximum exposure rate",
            "disconnect_policy": "Lost connections",
            "disconnect_credit_minutes": "Most time given back (minutes)",
            "requires_application": "Invited candidates only",
            "pass_percentage": "Pass mark (%)",
        }
        help_texts = {
            "title": "What candidates and recruiters see the test as.",
            "description": "Shown to candidates before they start.",
            "job_description": "The role the test is for; AI-written questions are based on it.",
            "total_questions": "How many questions one attempt asks. The bank (and the AI, if set up) must hold that many.",
            "time_limit_minutes": "Time for the whole attempt. The page counts down and ends it at zero.",
            "opens_at": "From when candidates may start. Empty: at once, once published.",
            "closes_at": "Until when. An attempt running then ends at this time at the latest.",
            "max_attempts": "How many times one candidate may take it.",
            "pass_percentage": "The score, in percent of the questions, a candidate needs to pass.",
            "feedback_mode": (
                "What a candidate learns after each answer: None (nothing), Correctness (right or wrong), "
                "Full (right or wrong, the right option and why)."
            ),
            "requires_application": (
                "On: only candidates you invited (or shortlisted) may take it. Off: any signed-in candidate."
            ),
            "se_target": (
                "Optional. End an attempt early once every skill's ability estimate is this precise (its standard "
                "error, e.g. 0.5; smaller needs more questions). Empty: always ask all the questions."
            ),
            "multi_select_scoring": (
                "All or nothing: a question with several correct options earns its mark only when exactly the "
                "correct options are chosen. Partial credit: with k correct options, each right option chosen "
                "earns 1/k of the question and each wrong one chosen takes 1/k away, never below 0."
            ),
            "max_exposure_rate": (
                "The largest share of attempts one question may be shown in, e.g. 0.3: at most 3 attempts in 10, so "
                "a good question does not reach every candidate. 1 turns the control off; a small bank may need more."
            ),
            "disconnect_policy": (
                "Give back: when a candidate's connection is lost, the deadline moves by the time the attempt had "
                "none, as the server measured it (up to the cap below, never past the closing time); the candidate "
                "is told and the report lists each credit. No time back: the clock runs on."
            ),
            "disconnect_credit_minutes": "With time given back: the most, in minutes, one attempt gets back in all.",
            "created_by": "The recruiter who owns the test and sees its results.",
        }

    # Left out of a post (a form from before they existed, a script), these keep the test's value (a
    # new test's: the model's default), as a model form does for an omitted field with a default.
    KEPT_WHEN_LEFT_OUT = ("multi_select_scoring", "max_exposure_rate", "disconnect_policy", "disconnect_credit_minutes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.KEPT_WHEN_LEFT_OUT:
            if name in self.fields:
                self.fields[name].required = False

    def clean_multi_select_scoring(self) -> str:
        chosen = self.cleaned_data.get("multi_select_scoring")
        return str(chosen or self.instance.multi_select_scoring or Test.MultiSelectScoring.ALL_OR_NOTHING)

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
        fields = ("candidate", "test", "status", "time_multiplier", "closes_at")
        help_texts = {
            "time_multiplier": "Accommodation: the time limit is multiplied by this (1.0 to 5.0, e.g. 1.25 or 1.5). "
            "It applies to the next attempt, and to a running attempt at once (the candidate is told). "
            "Only recruiters see it.",
        }


# ---------------------------------------------------------------- back-office actions


def uploaded_text(upload: Any, *, max_bytes: int, limit: str) -> str:
    """An uploaded file's text (UTF-8, a BOM dropped), "" without a file; refuses one over `max_bytes`."""
    if not upload:
        return ""
    if upload.size and upload.size > max_bytes:
        raise forms.ValidationError(f"The file is over {limit}.")
    try:
        return str(upload.read().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise forms.ValidationError("The file is not UTF-8 text.") from exc


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
        return uploaded_text(
            self.cleaned_data.get("csv_file"),
            max_bytes=MAX_INVITE_FILE_BYTES,
            limit=f"{MAX_INVITE_FILE_BYTES // 1000} kB",
        )

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
    new_correct_options = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label="New correct options",
        widget=forms.CheckboxSelectMultiple,
        help_text="Only for a key change of a question with several correct options: tick every right one.",
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
        self.multiple = question.kind == Question.Kind.MULTIPLE
        if self.multiple:
            del self.fields["new_correct_option"]
            self.fields["new_correct_options"].choices = [  # type: ignore[attr-defined]
                (i, f"{i}: {text}{' (now correct)' if i in question.key else ''}") for i, text in enumerate(options)
            ]
        else:
            del self.fields["new_correct_options"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        rekey = cleaned.get("action") == QuestionRegrade.Action.REKEY
        if rekey and self.multiple and not cleaned.get("new_correct_options"):
            self.add_error("new_correct_options", "Tick the new correct options.")
        elif rekey and not self.multiple and cleaned.get("new_correct_option") is None:
            self.add_error("new_correct_option", "Choose the new key.")
        return cleaned
