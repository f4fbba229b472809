"""Forms of the candidate pages of accounts."""

from django import forms

from accounts.models import DigestFrequency

DIGEST_CHOICES = [
    (DigestFrequency.DAILY, "Daily"),
    (DigestFrequency.WEEKLY, "Weekly"),
    (DigestFrequency.NEVER, "Off"),
]


class NotificationSettingsForm(forms.Form):
    """Which notifications the person gets, per kind and channel (email, web push)."""

    application_updates = forms.BooleanField(required=False, label="Email")
    application_updates_push = forms.BooleanField(required=False, label="Push")
    interview_updates = forms.BooleanField(required=False, label="Email")
    interview_updates_push = forms.BooleanField(required=False, label="Push")
    match_digest = forms.ChoiceField(
        choices=DIGEST_CHOICES,
        label="Email digest",
        error_messages={"invalid_choice": "Choose daily, weekly or off."},
    )
    match_digest_push = forms.BooleanField(required=False, label="Push")

    # (heading, help, email field, push field): one fieldset per kind.
    KINDS = [
        (
            "Application updates",
            "When a company moves your application to a new stage.",
            "application_updates",
            "application_updates_push",
        ),
        (
            "Interview invitations and reminders",
            "When an interview is scheduled, changed or cancelled, and the day before.",
            "interview_updates",
            "interview_updates_push",
        ),
        (
            "Job matches",
            "New jobs that fit your profile.",
            "match_digest",
            "match_digest_push",
        ),
    ]

    def kinds(self):
        if self.is_bound:
            for name in self.errors:
                if name in self.fields:  # tie the error to its field for screen readers
                    self.fields[name].widget.attrs["aria-describedby"] = (
                        f"{self[name].id_for_label}-error"
                    )
        for heading, help_text, email, push in self.KINDS:
            yield {"heading": heading, "help": help_text, "email": self[email], "push": self[push]}
