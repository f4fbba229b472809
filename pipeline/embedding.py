"""Candidate profile vectors: what a profile's vector is made from, and embedding many at once.

Like `jobs.services.jobs_embed` for jobs: a profile whose text (and model) did not change since
its vector was made keeps it (`content_hash`), and the rest are embedded in chunks of
settings.EMBEDDING_CHUNK_SIZE, one model call per chunk, so the model sorts each chunk by
length and pads little.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db.models import Q, QuerySet

from accounts.models import CandidateProfile
from jobs.embeddings import embed_array, text_hash, vectors_store
from jobs.models import Skill
from pipeline.runs import RunProgress

# The model reads EMBEDDING_MAX_TOKENS tokens (256 at most: about 1,200 characters of prose);
# more text only costs tokenising.
PROFILE_TEXT_CHARS = 1_200
_FIELDS = ("headline", "current_title", "skills", "summary", "resume_text", "content_hash")


def _skill_names(slugs: Iterable[str]) -> dict[str, str]:
    return dict(Skill.objects.filter(slug__in=set(slugs)).values_list("slug", "name"))


def profile_embedding_text(
    profile: CandidateProfile, *, skill_names: Mapping[str, str] | None = None
) -> str:
    """What a profile's vector is made from: the headline (or current title), the skills by
    name, then the start of the summary and the resume. `skill_names` maps slugs to names
    (looked up when not given)."""
    if skill_names is None:
        skill_names = _skill_names(profile.skills)
    parts = []
    title = profile.headline.strip() or profile.current_title.strip()
    if title:
        parts.append(title)
    if profile.current_title.strip() and profile.current_title.strip() != title:
        parts.append(profile.current_title.strip())
    names = sorted({skill_names.get(slug) or slug.replace("-", " ") for slug in profile.skills})
    if names:
        parts.append(f"Skills: {', '.join(names)}")
    prose = "\n".join(p for p in (profile.summary.strip(), profile.resume_text.strip()) if p)
    if prose:
        parts.append(prose[:PROFILE_TEXT_CHARS])
    return ". ".join(parts)


def profiles_embed(
    *,
    profiles: Iterable[CandidateProfile] | QuerySet[CandidateProfile],
    batch_size: int | None = None,
    progress: RunProgress | None = None,
) -> int:
    """Give `profiles` vectors of their current text; skip those whose text is unchanged since
    their vector was made. Return how many were embedded. `batch_size` is how many profiles
    are read and embedded per model call (settings.EMBEDDING_CHUNK_SIZE). With `progress`,
    the profiles are added to its total and advanced as they are done.

    The model loads on first use, in the process that calls this (a worker).
    """
    batch_size = batch_size or settings.EMBEDDING_CHUNK_SIZE
    ids = (
        list(profiles.values_list("pk", flat=True))
        if isinstance(profiles, QuerySet)
        else [profile.pk for profile in profiles]
    )
    if progress is not None:
        progress.add_total(len(ids))
    embedded = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        rows = list(
            CandidateProfile.objects.filter(pk__in=chunk)
            .only(*_FIELDS)
            .annotate(has_vector=Q(embedding__isnull=False))
        )
        names = _skill_names(slug for row in rows for slug in row.skills)
        todo = []
        for profile in rows:
            text = profile_embedding_text(profile, skill_names=names)
            digest = text_hash(text)
            if not (profile.has_vector and profile.content_hash == digest):
                todo.append((profile, text, digest))
        if todo:
            vectors = embed_array([text for _, text, _ in todo])
            vectors_store(
                CandidateProfile,
                [
                    (profile.pk, vector, digest)
                    for (profile, _, digest), vector in zip(todo, vectors, strict=True)
                ],
            )
            embedded += len(todo)
        if progress is not None:
            progress.advance(
                len(chunk),
                **{
                    "profiles.embedded": len(todo),
                    "profiles.embedding_unchanged": len(rows) - len(todo),
                },
            )
    return embedded
