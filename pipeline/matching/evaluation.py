"""Offline evaluation of matching on a graded dataset, against two baselines.

The dataset (JSON lines) holds jobs, candidates and graded pairs:

    {"type": "job", "id": "j01", "title": "...", "description": "..."}
    {"type": "candidate", "id": "c001", "headline": "...", "resume_text": "..."}
    {"type": "qrel", "job": "j01", "candidate": "c119", "grade": 3}

Pairs not listed are grade 0. Our method is the production one: the dataset is loaded into
the real tables inside a transaction (a company, its open jobs, users and candidate profiles),
enriched and embedded by the enrich stage, each job's candidates ranked by `matches_for_job`
over the whole pool with the production settings, and everything rolled back. Candidates that a
deal-breaker rules out rank after all the others.

The baselines rank the same pool: BM25 (`rank_bm25.BM25Okapi` defaults; tokens
`re.findall(r"\\w+", text.lower())`) and MiniLM cosine (job = title + "\\n" + description;
candidate = headline + "\\n" + resume_text; normalised embeddings).

Metrics, averaged over jobs: nDCG@k with linear gain = grade (trec_eval's ndcg_cut: the ideal
from all of the job's grades), P@k, MRR and Recall@50 with relevant = grade >= 2.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

RELEVANT = 2
RECALL_AT = 50
_FIELDS = {
    "job": ("id", "title", "description"),
    "candidate": ("id", "headline", "resume_text"),
    "qrel": ("job", "candidate", "grade"),
}


class DatasetError(ValueError):
    """The dataset cannot be read; the message names the line."""


@dataclass
class Dataset:
    jobs: list[dict] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)
    grades: dict[str, dict[str, int]] = field(default_factory=dict)  # job → candidate → grade


def dataset_load(path: str | Path) -> Dataset:
    """Read and check a dataset; raise DatasetError naming the first bad line."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    dataset = Dataset()
    qrels: list[tuple[int, dict]] = []
    seen: dict[str, set[str]] = {"job": set(), "candidate": set()}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}, line {number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DatasetError(f"{where}: invalid JSON ({error.msg})") from error
            if not isinstance(record, dict):
                raise DatasetError(f"{where}: expected a JSON object")
            kind = record.get("type")
            if kind not in _FIELDS:
                raise DatasetError(
                    f"{where}: unknown type {kind!r} (expected job, candidate or qrel)"
                )
            missing = [name for name in _FIELDS[kind] if name not in record]
            if missing:
                raise DatasetError(f"{where}: a {kind} needs {', '.join(missing)}")
            if kind == "qrel":
                grade = record["grade"]
                if not isinstance(grade, int) or isinstance(grade, bool) or not 0 <= grade <= 3:
                    raise DatasetError(f"{where}: grade must be an integer from 0 to 3")
                qrels.append((number, record))
                continue
            for name in _FIELDS[kind]:
                if not isinstance(record[name], str):
                    raise DatasetError(f"{where}: {name} must be a string")
            if record["id"] in seen[kind]:
                raise DatasetError(f"{where}: duplicate {kind} id {record['id']!r}")
            seen[kind].add(record["id"])
            (dataset.jobs if kind == "job" else dataset.candidates).append(record)
    for number, record in qrels:
        where = f"{path}, line {number}"
        if record["job"] not in seen["job"]:
            raise DatasetError(f"{where}: qrel for unknown job {record['job']!r}")
        if record["candidate"] not in seen["candidate"]:
            raise DatasetError(f"{where}: qrel for unknown candidate {record['candidate']!r}")
        dataset.grades.setdefault(record["job"], {})[record["candidate"]] = record["grade"]
    if not dataset.jobs or not dataset.candidates:
        raise DatasetError(f"{path}: needs at least one job and one candidate")
    return dataset


# --- Metrics -----------------------------------------------------------------------------------


def ndcg_at(ranking: list[str], grades: dict[str, int], k: int) -> float:
    """nDCG@k with linear gain and the ideal ranking of all the job's grades (trec_eval's
    ndcg_cut); 0 when the job has no graded candidate."""
    dcg = sum(grades.get(c, 0) / math.log2(i + 2) for i, c in enumerate(ranking[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    best = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def _relevant(grades: dict[str, int]) -> set[str]:
    return {c for c, g in grades.items() if g >= RELEVANT}


def precision_at(ranking: list[str], grades: dict[str, int], k: int) -> float:
    relevant = _relevant(grades)
    return sum(c in relevant for c in ranking[:k]) / k


def reciprocal_rank(ranking: list[str], grades: dict[str, int]) -> float:
    relevant = _relevant(grades)
    return next((1 / (i + 1) for i, c in enumerate(ranking) if c in relevant), 0.0)


def recall_at(ranking: list[str], grades: dict[str, int], k: int) -> float:
    relevant = _relevant(grades)
    return sum(c in relevant for c in ranking[:k]) / len(relevant) if relevant else 0.0


@dataclass(frozen=True)
class Metrics:
    ndcg: float
    precision: float
    mrr: float
    recall: float

    def as_dict(self) -> dict[str, float]:
        return {"ndcg": self.ndcg, "precision": self.precision, "mrr": self.mrr,
                "recall": self.recall}  # fmt: skip


def metrics_of(rankings: dict[str, list[str]], dataset: Dataset, *, top: int) -> Metrics:
    """The four metrics averaged over the dataset's jobs."""
    rows = []
    for job in dataset.jobs:
        ranking, grades = rankings[job["id"]], dataset.grades.get(job["id"], {})
        rows.append(
            (
                ndcg_at(ranking, grades, top),
                precision_at(ranking, grades, top),
                reciprocal_rank(ranking, grades),
                recall_at(ranking, grades, RECALL_AT),
            )
        )
    n = len(rows)
    return Metrics(*(sum(row[i] for row in rows) / n for i in range(4)))


# --- Rankings ----------------------------------------------------------------------------------


def _job_text(job: dict) -> str:
    return f"{job['title']}\n{job['description']}"


def _candidate_text(candidate: dict) -> str:
    return f"{candidate['headline']}\n{candidate['resume_text']}"


def _by_score(scores: list[float], ids: list[str]) -> list[str]:
    order = sorted(range(len(ids)), key=lambda i: (-scores[i], i))
    return [ids[i] for i in order]


def bm25_rankings(dataset: Dataset) -> dict[str, list[str]]:
    from rank_bm25 import BM25Okapi

    def tokens(text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())

    ids = [c["id"] for c in dataset.candidates]
    bm25 = BM25Okapi([tokens(_candidate_text(c)) for c in dataset.candidates])
    return {
        job["id"]: _by_score(list(bm25.get_scores(tokens(_job_text(job)))), ids)
        for job in dataset.jobs
    }


BASELINE_MAX_TOKENS = 256  # the published MiniLM baseline reads this many word pieces


def _minilm(texts: list[str]):
    from jobs.embeddings import get_model

    model = get_model()
    kept = model.max_seq_length
    model.max_seq_length = BASELINE_MAX_TOKENS
    try:
        return model.encode(texts, normalize_embeddings=True, convert_to_numpy=True,
                            show_progress_bar=False)  # fmt: skip
    finally:
        model.max_seq_length = kept


def minilm_rankings(dataset: Dataset) -> dict[str, list[str]]:
    ids = [c["id"] for c in dataset.candidates]
    jobs = _minilm([_job_text(job) for job in dataset.jobs])
    candidates = _minilm([_candidate_text(c) for c in dataset.candidates])
    scores = jobs @ candidates.T
    return {job["id"]: _by_score(list(scores[i]), ids) for i, job in enumerate(dataset.jobs)}


class _Rollback(Exception):
    """Leaves the evaluation's transaction without keeping anything."""


def ours_rankings(dataset: Dataset) -> dict[str, list[str]]:
    """Rank each job's candidates with the production enrich and match code, inside a
    transaction that is rolled back."""
    from accounts.models import CandidateProfile, User
    from accounts.services import company_create
    from jobs.models import Job
    from jobs.services import job_create, job_publish
    from pipeline.enrich import jobs_enrich, profiles_enrich
    from pipeline.matching.services import matches_for_job

    rankings: dict[str, list[str]] = {}
    run = uuid.uuid4().hex[:12]
    try:
        with transaction.atomic():
            company = company_create(
                name=f"match_eval {run}", slug=f"match-eval-{run}", is_tenant=False
            )
            job_ids: dict[int, str] = {}
            for job in dataset.jobs:
                made = job_create(
                    company=company, title=job["title"][:200], actor=None,
                    description_text=job["description"],
                )  # fmt: skip
                job_publish(job=made, actor=None, at=timezone.now())
                job_ids[made.pk] = job["id"]
            # Candidates in bulk, as the demo seed loads them: users without passwords.
            users = User.objects.bulk_create(
                [
                    User(email=f"match-eval-{run}-{number}@example.invalid", password="!")
                    for number in range(len(dataset.candidates))
                ]
            )
            made = CandidateProfile.objects.bulk_create(
                [
                    CandidateProfile(
                        user=user,
                        headline=candidate["headline"][:200],
                        resume_text=candidate["resume_text"],
                    )
                    for user, candidate in zip(users, dataset.candidates, strict=True)
                ]
            )
            profile_ids = {
                profile.pk: candidate["id"]
                for profile, candidate in zip(made, dataset.candidates, strict=True)
            }
            jobs = Job.objects.filter(pk__in=job_ids)
            profiles = CandidateProfile.objects.filter(pk__in=profile_ids)
            jobs_enrich(jobs=jobs)
            profiles_enrich(profiles=profiles)
            for job in jobs.order_by("pk"):
                results = matches_for_job(job=job, profiles=profiles, include_infeasible=True)
                rankings[job_ids[job.pk]] = [profile_ids[r.candidate_id] for r in results]
            raise _Rollback
    except _Rollback:
        pass
    return rankings


@dataclass
class Evaluation:
    top: int
    jobs: int
    candidates: int
    metrics: dict[str, Metrics]  # method → metrics
    rankings: dict[str, list[str]]  # ours

    def improvement(self, baseline: str) -> float:
        """Relative nDCG improvement of ours over a baseline (0.15 is +15%)."""
        base = self.metrics[baseline].ndcg
        return self.metrics["ours"].ndcg / base - 1 if base else math.inf


BASELINES: dict[str, Callable[[Dataset], dict[str, list[str]]]] = {
    "BM25": bm25_rankings,
    "MiniLM cosine": minilm_rankings,
}


def evaluation_run(dataset: Dataset, *, top: int = 10) -> Evaluation:
    """Rank with our method and the baselines; return the metrics of each and our rankings."""
    metrics = {}
    for name, rank in BASELINES.items():
        metrics[name] = metrics_of(rank(dataset), dataset, top=top)
    ours = ours_rankings(dataset)
    metrics["ours"] = metrics_of(ours, dataset, top=top)
    return Evaluation(top, len(dataset.jobs), len(dataset.candidates), metrics, ours)
