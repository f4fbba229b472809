"""`match_eval`: metrics on a graded dataset, our method against BM25 and MiniLM."""

import hashlib
import json
import math
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditEvent, CandidateProfile, Company, User
from jobs.models import Job, JobSkill
from pipeline.matching.evaluation import (
    Dataset,
    dataset_load,
    evaluation_run,
    metrics_of,
    ndcg_at,
    precision_at,
    recall_at,
    reciprocal_rank,
)
from pipeline.models import JobEnrichment, Match, ProfileEnrichment

pytestmark = pytest.mark.django_db

SMALL = Path(__file__).parent / "fixtures" / "match_eval_small.jsonl"
# A copy of the team's shared dev set (../shared/fixtures/matching-dev), so CI always runs it.
DEV_SET = Path(__file__).parent / "fixtures" / "matching-dev" / "dataset.jsonl"
DEV_SET_SHA256 = "5cad520dab13b5fc3ee2a62eccd4542ad3e165a881301b2ef1d01ded07fbd005"


def _counts():
    models = (Company, Job, JobSkill, User, CandidateProfile, JobEnrichment, ProfileEnrichment,
              Match, AuditEvent)  # fmt: skip
    return {model.__name__: model.objects.count() for model in models}


def test_metrics_by_hand():
    grades = {"a": 3, "b": 2, "c": 1}
    ranking = ["c", "a", "x", "b"]

    # DCG@3 = 1/log2(2) + 3/log2(3) + 0; ideal = 3 + 2/log2(3) + 1/log2(4).
    assert ndcg_at(ranking, grades, 3) == pytest.approx(
        (1 + 3 / math.log2(3)) / (3 + 2 / math.log2(3) + 1 / 2)
    )
    assert precision_at(ranking, grades, 3) == pytest.approx(1 / 3)  # only "a" is >= 2
    assert reciprocal_rank(ranking, grades) == 0.5
    assert recall_at(ranking, grades, 3) == 0.5
    assert ndcg_at(ranking, {}, 3) == 0.0


def test_match_eval_on_a_small_dataset_gives_the_expected_metrics_and_rankings(tmp_path):
    before = _counts()
    out = tmp_path / "rankings.json"
    printed = []

    class Out:
        def write(self, text):
            printed.append(text)

    call_command("match_eval", str(SMALL), top=2, rankings=str(out), stdout=Out())

    rankings = json.loads(out.read_text())
    # j1: the senior Berlin engineer first, then the Munich mover; the recruiter who names the
    # same skills after them; the remote-only engineer (a deal-breaker for a hybrid job) last.
    assert rankings["j1"][:3] == ["cA", "cB", "cC"]
    assert rankings["j1"][-1] == "cE"
    # j2: the ICU nurse who works nights, then the one who can only work days.
    assert rankings["j2"][:2] == ["cD", "cF"]
    # By hand, with k = 2: j1 ranks cA (grade 2) then cB (3); j2 ranks cD (3) then cF (1).
    j1_ndcg = (2 + 3 / math.log2(3)) / (3 + 2 / math.log2(3))
    expected = {
        "ndcg": (j1_ndcg + 1.0) / 2,
        "precision": (2 / 2 + 1 / 2) / 2,  # relevant = grade >= 2
        "mrr": 1.0,
        "recall": 1.0,
    }
    line = next(text for text in printed if text.startswith("ours"))
    assert line.split()[1:] == [f"{expected[k]:.4f}" for k in ("ndcg", "precision", "mrr",
                                                                  "recall")]  # fmt: skip
    assert any(text.startswith("BM25") for text in printed)
    assert any(text.startswith("MiniLM cosine") for text in printed)
    assert any(text.startswith("ours vs MiniLM cosine:") for text in printed)
    assert metrics_of(rankings, dataset_load(SMALL), top=2).ndcg == pytest.approx(expected["ndcg"])
    assert _counts() == before  # nothing left in the real tables


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"type": "job", "id": "j1", "title": "T", "description": "D"}', "{not json"],
         "line 2: invalid JSON"),
        (['{"type": "resume", "id": "x"}'], "line 1: unknown type 'resume'"),
        (['{"type": "job", "id": "j1", "title": "T"}'], "line 1: a job needs description"),
        (['{"type": "job", "id": "j1", "title": "T", "description": "D"}',
          '{"type": "candidate", "id": "c1", "headline": "H", "resume_text": "R"}',
          '{"type": "qrel", "job": "j9", "candidate": "c1", "grade": 2}'],
         "line 3: qrel for unknown job 'j9'"),
        (['{"type": "job", "id": "j1", "title": "T", "description": "D"}',
          '{"type": "candidate", "id": "c1", "headline": "H", "resume_text": "R"}',
          '{"type": "qrel", "job": "j1", "candidate": "c7", "grade": 2}'],
         "line 3: qrel for unknown candidate 'c7'"),
        (['{"type": "job", "id": "j1", "title": "T", "description": "D"}',
          '{"type": "candidate", "id": "c1", "headline": "H", "resume_text": "R"}',
          '{"type": "qrel", "job": "j1", "candidate": "c1", "grade": 5}'],
         "line 3: grade must be an integer from 0 to 3"),
    ],
)  # fmt: skip
def test_match_eval_rejects_bad_input_naming_the_line(tmp_path, lines, message):
    dataset = tmp_path / "bad.jsonl"
    dataset.write_text("\n".join(lines) + "\n")
    out = tmp_path / "rankings.json"

    with pytest.raises(CommandError, match=message):
        call_command("match_eval", str(dataset), rankings=str(out))

    assert not out.exists()


def test_match_eval_rejects_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("match_eval", str(tmp_path / "nope.jsonl"))


def test_dataset_load_reads_grades_and_defaults_unlisted_pairs_to_nothing():
    dataset = dataset_load(SMALL)

    assert isinstance(dataset, Dataset)
    assert [job["id"] for job in dataset.jobs] == ["j1", "j2"]
    assert len(dataset.candidates) == 6
    assert dataset.grades == {"j1": {"cA": 2, "cB": 3, "cE": 0}, "j2": {"cD": 3, "cF": 1}}


@pytest.mark.slow
def test_match_eval_beats_both_baselines_by_15_percent_on_the_dev_set():
    assert hashlib.sha256(DEV_SET.read_bytes()).hexdigest() == DEV_SET_SHA256  # the published file
    before = _counts()

    result = evaluation_run(dataset_load(DEV_SET), top=10)

    ours = result.metrics["ours"].ndcg
    best_baseline = max(result.metrics["BM25"].ndcg, result.metrics["MiniLM cosine"].ndcg)
    assert result.metrics["BM25"].ndcg == pytest.approx(0.8022, abs=5e-4)
    assert result.metrics["MiniLM cosine"].ndcg == pytest.approx(0.8322, abs=5e-4)
    assert ours >= 1.15 * best_baseline
    assert result.metrics["ours"].mrr >= result.metrics["MiniLM cosine"].mrr
    assert _counts() == before
