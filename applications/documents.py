"""Writes for documents: text extraction, resume parsing and the profile's suggestions.

Parsing suggests and never overwrites what the candidate confirmed: the parse is stored on the
document and, for a resume, as the owner's `CandidateProfile.suggestions`. Suggested values reach
the profile's fields only through `profile_suggestions_apply`, which skips confirmed fields, and
a candidate's own edits go through `profile_fields_confirm`, which marks them confirmed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction

from accounts.models import CandidateProfile, User
from accounts.permissions import person_of, require_perm
from accounts.registry import profile_changed
from accounts.services import audit_record, user_name_update
from applications import uploads
from applications.extraction import MAX_INPUT_BYTES, ExtractionError, extract_text
from applications.models import Application, Document
from applications.resumes import SkillTerm, parse_resume
from jobs.selectors import skill_taxonomy as skills_all
from jobs.skills import skill_matcher

logger = logging.getLogger(__name__)

# Transient storage failures: the task retries these. A missing file is not one of them.
STORAGE_ERRORS: tuple[type[Exception], ...] = (OSError,)
try:  # S3 through django-storages
    from botocore.exceptions import BotoCoreError, ClientError

    STORAGE_ERRORS += (BotoCoreError, ClientError)
except ImportError:  # pragma: no cover - boto3 is installed wherever S3 is configured
    pass

# Suggestions below this confidence are shown to the candidate but never applied by themselves.
SUGGESTION_MIN_CONFIDENCE = 0.6

# Which profile fields each parsed field fills.
SUGGESTED_FIELDS: dict[str, tuple[str, ...]] = {
    "phone": ("phone",),
    "links": ("links",),
    "location": ("city", "region", "country"),
    "current_title": ("current_title",),
    "years_experience": ("years_experience",),
    "skills": ("skills",),
    "education": ("education",),
    "work_history": ("work_history",),
}
CONFIRMABLE_FIELDS = frozenset(
    {attr for attrs in SUGGESTED_FIELDS.values() for attr in attrs} | {"headline", "summary"}
)


def document_add(
    *,
    actor,
    file: File,
    kind: str,
    application: Application | None = None,
    ip_address: str | None = None,
) -> Document:
    """Store a document through the secure upload service: a person's own (with one of their
    applications, or none), or, by a member who may create applications in the application's
    company or by its API key, the application's candidate's.

    The document always belongs to the candidate (their quota, their download). Raise the
    upload's ValidationError for a rejected file.
    """
    person = person_of(actor)
    if application is not None and (person is None or application.candidate_id != person.pk):
        require_perm(actor, "applications.create", application)
        owner = application.candidate
    elif person is not None:
        owner = person
    else:
        raise ValidationError(
            {"application": "An API key adds documents to its company's applications only."}
        )
    document = uploads.document_upload(
        owner=owner, file=file, kind=kind, application=application, ip_address=ip_address
    )
    if owner != person:
        audit_record(
            action="document.added",
            actor=actor,
            target=document,
            company=application.job.company,
            ip_address=ip_address,
        )
    return document


def document_attach(*, document: Document, application: Application, actor) -> Document:
    """Send the candidate's `document` with `application`.

    A document sent with no application yet is attached; one already sent with another is
    copied, through the upload service again (its checks and scan), since each application
    keeps its own.
    """
    if document.owner_id != application.candidate_id:
        raise ValidationError({"document": "That document is not the candidate's."})
    if document.application_id is None:
        document.application = application
        document.save(update_fields=["application"])
        audit_record(
            action="document.attached",
            actor=actor,
            target=document,
            company=application.job.company,
        )
        return document
    try:
        with storages["private"].open(document.storage_key, "rb") as stored:
            return uploads.document_upload(
                owner=document.owner,
                file=File(stored, name=document.original_name),
                kind=document.kind,
                application=application,
            )
    except FileNotFoundError:
        raise ValidationError({"document": "That document's file is missing."}) from None


def skill_taxonomy() -> list[SkillTerm]:
    return [SkillTerm(slug, name, tuple(aliases)) for slug, name, aliases in skills_all()]


def document_extract(*, document: Document) -> Document:
    """Extract a document's text from private storage, parse a resume, suggest to the profile.

    A missing or unreadable file ends the document `failed` with a short error; a PDF without a
    text layer ends `no_text`. Other storage errors (`STORAGE_ERRORS`) propagate, for the task
    to retry.
    """
    storage = storages["private"]
    try:
        if not storage.exists(document.storage_key):
            raise FileNotFoundError(document.storage_key)
        with storage.open(document.storage_key, "rb") as fh:
            data = fh.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        return document_extract_fail(document=document, error="The file is missing from storage.")
    try:
        result = extract_text(data=data, content_type=document.content_type)
    except ExtractionError as exc:
        return document_extract_fail(document=document, error=str(exc))

    parsed: dict = {}
    if result.has_text_layer and document.kind == Document.Kind.RESUME:
        parsed = parse_resume(result.text, skills=skill_matcher())
    with transaction.atomic():
        document.extracted_text = result.text
        document.status = (
            Document.Status.EXTRACTED if result.has_text_layer else Document.Status.NO_TEXT
        )
        document.error = ""
        document.parsed = parsed
        document.full_clean()
        document.save(update_fields=["extracted_text", "status", "error", "parsed"])
        audit_record(
            action="document.extracted",
            target=document,
            changes={
                "status": document.status,
                "pages": result.pages,
                "characters": len(result.text),
                "truncated": result.truncated,
            },
        )
        profile = (
            CandidateProfile.objects.select_for_update().filter(user_id=document.owner_id).first()
        )
        if parsed and profile is not None:
            profile_resume_update(profile=profile, resume_text=result.text, suggestions=parsed)
    return document


def document_extract_fail(*, document: Document, error: str) -> Document:
    """Mark a document's extraction failed, with a short reason the candidate can read."""
    logger.warning("Extraction of document %s failed: %s", document.pk, error)
    document.status = Document.Status.FAILED
    document.error = error[:255]
    document.extracted_text = ""
    document.parsed = {}
    document.full_clean()
    with transaction.atomic():
        document.save(update_fields=["status", "error", "extracted_text", "parsed"])
        audit_record(
            action="document.extraction_failed", target=document, changes={"error": error[:255]}
        )
    return document


def profile_resume_update(
    *, profile: CandidateProfile, resume_text: str, suggestions: dict
) -> CandidateProfile:
    """Keep the latest resume's text and its parse (as suggestions); change no other field."""
    profile.resume_text = resume_text
    profile.suggestions = suggestions
    profile.full_clean()
    profile.save(update_fields=["resume_text", "suggestions", "updated_at"])
    return profile


def _profile_values(field_name: str, value: Any) -> dict[str, Any]:
    if field_name == "location":
        return {
            "city": (value.get("city") or "")[:100],
            "region": (value.get("region") or "")[:100],
            "country": value.get("country") or "",
        }
    if field_name == "years_experience":
        return {"years_experience": min(max(int(value), 0), 70)}
    if field_name == "current_title":
        return {"current_title": str(value)[:200]}
    return {SUGGESTED_FIELDS[field_name][0]: value}


@transaction.atomic
def profile_suggestions_apply(
    *,
    profile: CandidateProfile,
    fields: list[str] | None = None,
    min_confidence: float = SUGGESTION_MIN_CONFIDENCE,
    actor: User | None = None,
) -> CandidateProfile:
    """Copy suggested values into the profile's fields the candidate has not confirmed.

    Only suggestions at or above `min_confidence` are taken. `fields` names parsed fields
    (`SUGGESTED_FIELDS`, plus "name", which fills the user's name only while it is empty).
    """
    names = list(SUGGESTED_FIELDS) + ["name"] if fields is None else list(fields)
    unknown = sorted(set(names) - set(SUGGESTED_FIELDS) - {"name"})
    if unknown:
        raise ValidationError({"fields": f"Unknown suggested fields: {', '.join(unknown)}."})
    confirmed = set(profile.confirmed_fields)
    changed: list[str] = []
    for name in names:
        suggestion = (profile.suggestions or {}).get(name) or {}
        value = suggestion.get("value")
        if value in (None, "", [], {}) or suggestion.get("confidence", 0) < min_confidence:
            continue
        if name == "name":
            user = profile.user
            if not user.full_name:
                user.full_name = str(value)[:200]
                user.full_clean()
                user.save(update_fields=["full_name"])
                changed.append("full_name")
            continue
        for attr, new in _profile_values(name, value).items():
            if attr not in confirmed and getattr(profile, attr) != new:
                setattr(profile, attr, new)
                changed.append(attr)
    profile_changes = [attr for attr in changed if attr != "full_name"]
    if profile_changes:
        profile.full_clean()
        profile.save(update_fields=[*profile_changes, "updated_at"])
    if changed:
        audit_record(
            action="profile.suggestions_applied",
            actor=actor,
            target=profile,
            changes={"fields": changed},
        )
    if profile_changes:
        profile_changed(profile=profile)
    return profile


@transaction.atomic
def profile_suggestion_use(
    *, profile: CandidateProfile, field_name: str, actor: User | None = None
) -> CandidateProfile:
    """Take the suggestion for the parsed field `field_name` as the candidate's own value
    (confirmed), whatever its confidence and even over a value they confirmed before: they
    chose it. "name" sets the user's name."""
    if field_name not in SUGGESTED_FIELDS and field_name != "name":
        raise ValidationError({"fields": f"Unknown suggested field: {field_name}."})
    value = ((profile.suggestions or {}).get(field_name) or {}).get("value")
    if value in (None, "", [], {}):
        raise ValidationError({field_name: "There is no suggestion for this field."})
    if field_name == "name":
        user_name_update(user=profile.user, full_name=str(value)[:200])
        return profile
    return profile_fields_confirm(
        profile=profile, values=_profile_values(field_name, value), actor=actor
    )


@transaction.atomic
def profile_fields_confirm(
    *, profile: CandidateProfile, values: dict[str, Any], actor: User | None = None
) -> CandidateProfile:
    """Set profile fields to the candidate's values and mark them confirmed: parsing a resume
    later never changes them."""
    unknown = sorted(set(values) - CONFIRMABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {name: "This field cannot be confirmed on a profile." for name in unknown}
        )
    for name, value in values.items():
        setattr(profile, name, value)
    profile.confirmed_fields = sorted(set(profile.confirmed_fields) | set(values))
    profile.full_clean()
    profile.save(update_fields=[*values, "confirmed_fields", "updated_at"])
    audit_record(
        action="profile.fields_confirmed",
        actor=actor or profile.user,
        target=profile,
        changes={"fields": sorted(values)},
    )
    profile_changed(profile=profile)
    return profile
