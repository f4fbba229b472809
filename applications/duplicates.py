"""Duplicate candidates: finding the same person under two accounts, and merging them.

Two applicants are likely one person when they share a normalised email (case, "+tags" and
Gmail's dots aside), a phone number (E.164), or a LinkedIn profile, or when their names are
nearly the same (rapidfuzz) and so are their resumes (MinHash of word shingles). A member
looks only among the applicants of their own companies.

A merge moves every application (with its history, interviews, scorecards, offers and notes)
and every document of one account to the other, gives the kept account the profile if it has
none, deactivates the merged one, and is audited in each company concerned. It is refused when
both applied to the same job (one of the two applications must be closed first) or when the
actor may not manage candidates in every company either applied to.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from rapidfuzz import fuzz

from accounts.models import CandidateProfile, Membership, User
from accounts.permissions import company_ids_with, has_perm
from accounts.services import audit_record
from applications.models import Application, Document
from recruitment.api import ApplicationError

if TYPE_CHECKING:
    from datasketch import MinHash

NAME_SIMILARITY = 90  # rapidfuzz token_sort_ratio, 0..100
RESUME_SIMILARITY = 0.8  # estimated Jaccard similarity of resume word shingles
MAX_PAIRS = 200
_WORD = re.compile(r"\w+")
_GMAIL = {"gmail.com", "googlemail.com"}


def email_key(email: str) -> str:
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def linkedin_key(url: str | None) -> str:
    if not url:
        return ""
    url = url.strip().lower().split("?", 1)[0].split("#", 1)[0].rstrip("/")
    url = re.sub(r"^https?://", "", url)
    url = re.sub(r"^([a-z]{2,3}\.|www\.)linkedin\.com", "linkedin.com", url)
    return url if url.startswith("linkedin.com/") else ""


def name_key(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(sorted(_WORD.findall(plain.casefold())))


def _resume_minhash(text: str) -> MinHash | None:
    # datasketch brings numpy and scipy (tens of MB): imported when a duplicate check runs, not
    # by every web process that imports the admin.
    from datasketch import MinHash

    words = _WORD.findall(text.casefold())[:3000]
    if len(words) < 20:
        return None
    minhash = MinHash(num_perm=64)
    for index in range(len(words) - 2):
        minhash.update(" ".join(words[index : index + 3]).encode())
    return minhash


@dataclass
class Candidate:
    user: User
    phone: str = ""
    linkedin: str = ""
    resume: str = ""
    headline: str = ""
    applications: list[Application] = field(default_factory=list)


@dataclass
class DuplicatePair:
    first: Candidate
    second: Candidate
    reasons: list[str]

    @property
    def strength(self) -> int:
        return len(self.reasons)


def _applicants(user) -> dict[int, Candidate]:
    applications = Application.objects.select_related("candidate", "job").order_by("pk")
    companies = company_ids_with(user, "applications.view")
    if companies is not None:
        applications = applications.filter(job__company__in=companies)
    people: dict[int, Candidate] = {}
    for application in applications:
        person = people.setdefault(application.candidate_id, Candidate(application.candidate))
        person.applications.append(application)
    for profile in CandidateProfile.objects.filter(user_id__in=people).only(
        "user_id", "phone", "links", "resume_text", "headline"
    ):
        person = people[profile.user_id]
        person.phone = profile.phone
        person.linkedin = linkedin_key((profile.links or {}).get("linkedin"))
        person.resume = profile.resume_text
        person.headline = profile.headline
    return people


def _pair_reasons(a: Candidate, b: Candidate, hashes: dict[int, MinHash | None]) -> list[str]:
    reasons = []
    if email_key(a.user.email) == email_key(b.user.email):
        reasons.append("same email address")
    if a.phone and a.phone == b.phone:
        reasons.append("same phone number")
    if a.linkedin and a.linkedin == b.linkedin:
        reasons.append("same LinkedIn profile")
    name_a, name_b = name_key(a.user.full_name), name_key(b.user.full_name)
    if name_a and name_b and fuzz.token_sort_ratio(name_a, name_b) >= NAME_SIMILARITY:
        reasons.append("nearly the same name")
        for person in (a, b):
            if person.user.pk not in hashes:
                hashes[person.user.pk] = _resume_minhash(person.resume)
        hash_a, hash_b = hashes[a.user.pk], hashes[b.user.pk]
        if hash_a and hash_b and hash_a.jaccard(hash_b) >= RESUME_SIMILARITY:
            reasons.append("nearly the same resume")
    return reasons


def duplicate_candidates(*, user, limit: int = MAX_PAIRS) -> list[DuplicatePair]:
    """Likely duplicates among the applicants `user` may see, the best evidenced first.

    Pairs are only compared within blocks that share a key (normalised email, phone,
    LinkedIn, or the first letters of the sorted name words), so the work grows with the
    blocks, not with the square of the applicants."""
    people = _applicants(user)
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, person in people.items():
        blocks[("email", email_key(person.user.email))].append(pk)
        if person.phone:
            blocks[("phone", person.phone)].append(pk)
        if person.linkedin:
            blocks[("linkedin", person.linkedin)].append(pk)
        if name := name_key(person.user.full_name):
            blocks[("name", name[:2])].append(pk)
    candidates = {pair for members in blocks.values() for pair in combinations(sorted(members), 2)}
    hashes: dict[int, MinHash | None] = {}
    pairs = []
    for a, b in candidates:
        if reasons := _pair_reasons(people[a], people[b], hashes):
            pairs.append(DuplicatePair(people[a], people[b], reasons))
    pairs.sort(key=lambda pair: (-pair.strength, pair.first.user.pk, pair.second.user.pk))
    return pairs[:limit]


def duplicate_pair(*, user, first_id: int, second_id: int) -> DuplicatePair | None:
    """The two applicants side by side (None unless `user` may see both and they differ), with
    the reasons they look alike."""
    people = _applicants(user)
    if first_id not in people or second_id not in people or first_id == second_id:
        return None
    first, second = people[first_id], people[second_id]
    return DuplicatePair(first, second, _pair_reasons(first, second, {}))


@transaction.atomic
def candidate_merge(*, keep: User, merge: User, actor: User | None) -> User:
    """Move everything of `merge` to `keep`, then deactivate `merge` (see the module's doc)."""
    keep, merge = (User.objects.select_for_update().get(pk=pk) for pk in (keep.pk, merge.pk))
    if keep.pk == merge.pk:
        raise ApplicationError("Choose two different candidates.", code="same_candidate")
    if Membership.objects.filter(user__in=[keep, merge]).exists() or merge.is_staff:
        raise ApplicationError(
            "Only candidates are merged, not members of a company.", code="not_a_candidate"
        )
    moved = list(Application.objects.filter(candidate=merge).select_related("job__company"))
    kept_jobs = set(Application.objects.filter(candidate=keep).values_list("job_id", flat=True))
    companies = {application.job.company for application in moved} | {
        application.job.company
        for application in Application.objects.filter(candidate=keep).select_related("job__company")
    }
    if actor is not None:
        for company in companies:
            if not has_perm(actor, "candidates.export", company):
                raise PermissionDenied(
                    "These candidates applied to a company whose candidates you do not manage."
                )
    clash = [application.job.title for application in moved if application.job_id in kept_jobs]
    if clash:
        raise ApplicationError(
            "Both applied to " + ", ".join(sorted(set(clash))) + ": close one of the two "
            "applications (reject or withdraw it) before merging.",
            code="same_job",
        )
    Application.objects.filter(pk__in=[application.pk for application in moved]).update(
        candidate=keep
    )
    documents = list(Document.objects.filter(owner=merge).values_list("pk", flat=True))
    Document.objects.filter(pk__in=documents).update(owner=keep)
    profile = CandidateProfile.objects.filter(user=merge).first()
    if profile is not None and not CandidateProfile.objects.filter(user=keep).exists():
        profile.user = keep
        profile.save(update_fields=["user"])
    merge.is_active = False
    merge.save(update_fields=["is_active"])
    for company in companies or [None]:
        audit_record(
            action="candidate.merged",
            actor=actor,
            target=keep,
            company=company,
            changes={
                "merged": {"id": merge.pk, "email": merge.email},
                "applications": sorted(application.pk for application in moved),
                "documents": sorted(documents),
            },
        )
    return keep
