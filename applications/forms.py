"""Forms of the candidate pages: apply to a job, withdraw an application."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format

from accounts.models import ConsentPurpose
from accounts.privacy import consent_text_version
from applications.answers import (
    ANSWER_MAX_LENGTH,
    CHOICE,
    YES_NO_TYPES,
    answers_clean,
)
from applications.models import Document
from applications.uploads import ALLOWED_EXTENSIONS
from jobs.models import Job

COVER_LETTER_MAX_LENGTH = 20_000
QUESTION_PREFIX = "q_"


def _resume_label(document: Document) -> str:
    return f"{document.original_name} (added {date_format(document.created_at, 'j M Y')})"


class ApplyForm(forms.Form):
    """An application to `job` by `candidate`: a resume (uploaded now, or one of theirs),
    a cover letter, the job's questions (fields named q_<key>) and the consents."""

    resume = forms.FileField(
        required=False,
        label="Upload your resume",
        help_text="PDF, Word (.docx) or plain text.",
        widget=forms.FileInput(attrs={"accept": ",".join(f".{e}" for e in ALLOWED_EXTENSIONS)}),
    )
    resume_document = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Or send a resume you added before",
        error_messages={"invalid_choice": "Choose one of your own resumes."},
    )
    cover_letter = forms.CharField(
        required=False,
        max_length=COVER_LETTER_MAX_LENGTH,
        label="Cover letter",
        help_text="Optional: why this role, in your own words.",
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    consent_processing = forms.BooleanField(
        required=True,
        error_messages={"required": "We need your consent to process your application."},
    )
    consent_retention = forms.BooleanField(required=False)

    def __init__(self, *args, job: Job, resumes: list[Document], **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        self.resumes = {document.pk: document for document in resumes}
        self.stored_upload: Document | None = None
        self._resume_choices()
        company = job.company.name
        self.fields["consent_processing"].label = (
            f"I agree that {company} processes the data in my application to consider me "
            "for this role."
        )
        self.fields[
            "consent_retention"
        ].label = f"{company} may keep my application to contact me about future roles."
        # The version of each text shown, recorded with the consent (accounts.ConsentRecord).
        self.consent_versions = {
            purpose.value: consent_text_version(purpose) for purpose in ConsentPurpose
        }
        self.question_names: list[str] = []
        for question in job.questions or []:
            if not question.get("key"):
                continue
            name = QUESTION_PREFIX + question["key"]
            self.fields[name] = self._question_field(question)
            self.question_names.append(name)
        if self.resumes and not self.is_bound:
            self.initial.setdefault("resume_document", next(iter(self.resumes)))

    def _resume_choices(self) -> None:
        field = self.fields["resume_document"]
        field.choices = [(pk, _resume_label(document)) for pk, document in self.resumes.items()]
        field.widget = forms.RadioSelect(choices=field.choices)

    @staticmethod
    def _question_field(question: dict) -> forms.Field:
        required = bool(question.get("required"))
        label = question.get("label") or question["key"]
        kind = question.get("type")
        if kind in YES_NO_TYPES:
            return forms.ChoiceField(
                label=label,
                required=required,
                choices=[("yes", "Yes"), ("no", "No")],
                widget=forms.RadioSelect,
            )
        if kind == CHOICE:
            choices = [(choice, choice) for choice in question.get("choices") or []]
            return forms.ChoiceField(
                label=label, required=required, choices=[("", "Choose…"), *choices]
            )
        return forms.CharField(
            label=label,
            required=required,
            max_length=ANSWER_MAX_LENGTH,
        )

    def question_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.question_names]

    def use_stored_upload(self, document: Document) -> None:
        """Send `document` (the file just uploaded, stored as the candidate's): a page shown
        again after another field's error has it chosen, so it need not be uploaded again."""
        self.stored_upload = document
        self.resumes = {document.pk: document, **self.resumes}
        self._resume_choices()
        self.data = self.data.copy()
        self.data["resume_document"] = str(document.pk)
        if hasattr(self, "cleaned_data"):
            self.cleaned_data["resume_document"] = document.pk

    def clean(self):
        cleaned = super().clean()
        if not self.resumes and "resume_document" in self.errors:
            # No list of resumes is shown: say it where the page asks for one.
            self.add_error("resume", self.errors.pop("resume_document"))
        if not cleaned.get("resume") and not cleaned.get("resume_document"):
            if "resume" not in self.errors and "resume_document" not in self.errors:
                self.add_error(
                    "resume",
                    "Upload your resume"
                    + (", or choose one you added before." if self.resumes else "."),
                )
        answers = {
            name.removeprefix(QUESTION_PREFIX): cleaned.get(name)
            for name in self.question_names
            if name not in self.errors
        }
        # The questions whose field passed its own checks: the shared rules of answers next.
        questions = [q for q in self.job.questions or [] if str(q.get("key")) in answers]
        try:
            cleaned["answers"] = answers_clean(questions=questions, answers=answers)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                self.add_error(QUESTION_PREFIX + key, messages)
        return cleaned

    def document(self) -> Document | None:
        """The resume to send: the one uploaded now (once stored), or the one chosen."""
        if self.stored_upload is not None:
            return self.stored_upload
        return self.resumes.get(self.cleaned_data.get("resume_document"))


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=255,
        label="Anything you would like to tell the company? (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
