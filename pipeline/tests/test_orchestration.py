"""Stages under their runs: the scrape of all due sources, the nightly parent, run-now in admin,
and the stage commands."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from jobs.models import Job
from pipeline import orchestration
from pipeline.models import PipelineRun, Source
from pipeline.orchestration import pipeline_execute, pipeline_queue

BOARDS = Path(__file__).parent / "fixtures" / "boards"
Kind, Status = PipelineRun.Kind, PipelineRun.Status


def _board_source(name: str, server, board: str) -> Source:
    return Source.objects.create(
        name=name,
        kind=Source.Kind.GREENHOUSE,
        config={"board": board, "base_url": server.url},
        schedule=Source.Schedule.DAILY,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("crawl_environment")
def test_the_scrape_stage_crawls_every_due_source_and_one_broken_source_stops_nothing(server):
    server.json(
        "/v1/boards/tidewater/jobs?content=true",
        json.loads((BOARDS / "greenhouse.json").read_text()),
    )
    server.json("/v1/boards/broken/jobs?content=true", {"error": "down"}, status=500)
    good = _board_source("Tidewater", server, "tidewater")
    broken = _board_source("Broken board", server, "broken")
    Source.objects.create(
        name="Manual only", kind=Source.Kind.LEVER, schedule=Source.Schedule.MANUAL
    )

    run = pipeline_execute(kind=Kind.SCRAPE)

    assert run.status == Status.SUCCEEDED
    assert (run.progress_done, run.progress_total) == (2, 2)
    children = {child.source: child for child in run.children.all()}
    assert set(children) == {good, broken}
    assert children[good].status == Status.SUCCEEDED
    assert children[broken].status == Status.FAILED
    assert run.stats["counts"]["skipped.source_failed"] == 1
    assert run.stats["counts"]["created"] == 4  # the good board's postings, summed up
    assert Job.objects.filter(status=Job.Status.OPEN).count() == 4
    good.refresh_from_db()
    broken.refresh_from_db()
    assert good.last_crawled_at and broken.last_crawled_at


@pytest.mark.django_db
def test_a_failed_nightly_stage_fails_the_parent_and_cancels_the_stages_after_it(monkeypatch):
    def crash(progress):
        raise RuntimeError("the index is gone")

    monkeypatch.setitem(orchestration.STAGE_WORK, Kind.MATCH, crash)
    with pytest.raises(RuntimeError):
        pipeline_execute(kind=Kind.NIGHTLY)
    parent = PipelineRun.objects.get(kind=Kind.NIGHTLY)
    assert parent.status == Status.FAILED
    assert "the match stage failed: RuntimeError: the index is gone" in parent.error
    stages = dict(parent.children.values_list("kind", "status"))
    assert stages == {
        Kind.SCRAPE: Status.SUCCEEDED,
        Kind.ENRICH: Status.SUCCEEDED,
        Kind.MATCH: Status.FAILED,
        Kind.SEND: Status.CANCELLED,
    }
    assert parent.progress_done == 2
    assert parent.finished_at is not None


@pytest.mark.django_db
def test_a_nightly_run_reports_each_stage_in_its_parent():
    run = pipeline_execute(kind=Kind.NIGHTLY)
    assert run.status == Status.SUCCEEDED
    assert run.progress_done == run.progress_total == 4
    assert set(run.stats) >= {"scrape", "enrich", "match", "send"}
    assert run.started_at <= run.finished_at


@pytest.mark.django_db
def test_pipeline_queue_refuses_a_source_for_a_stage_without_one():
    source = Source.objects.create(name="x", kind=Source.Kind.LEVER)
    with pytest.raises(ValueError, match="only a scrape run has a source"):
        pipeline_queue(kind=Kind.MATCH, source=source)
    with pytest.raises(ValueError, match="unknown pipeline stage"):
        pipeline_queue(kind="bake")
    assert not PipelineRun.objects.exists()


@pytest.mark.django_db
def test_run_now_in_admin_starts_the_stage_and_links_its_run(
    admin_client_, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            reverse("admin:pipeline_pipelinerun_run_now"), {"kind": "send"}, follow=True
        )
    run = PipelineRun.objects.get(kind=Kind.SEND)
    assert run.status == Status.SUCCEEDED  # no broker in tests: it ran right away
    assert run.triggered_by.is_superuser
    text = response.content.decode()
    assert (
        f'Started <a href="{reverse("admin:pipeline_pipelinerun_change", args=[run.pk])}"' in text
    )
    assert "Run nightly (all four) now" in text  # the buttons above the list


@pytest.mark.django_db
def test_run_now_refuses_unknown_stages_gets_and_members_without_the_permission(
    admin_client_, client, recruiter
):
    url = reverse("admin:pipeline_pipelinerun_run_now")
    response = admin_client_.post(url, {"kind": "bake"}, follow=True)
    assert "Unknown stage" in response.content.decode()
    assert admin_client_.get(url).status_code == 405
    recruiter.is_staff = True
    recruiter.save()
    client.force_login(recruiter)
    assert client.post(url, {"kind": "match"}).status_code == 403
    assert not PipelineRun.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("crawl_environment")
def test_crawl_now_on_sources_in_admin_crawls_them(admin_client_, server):
    server.json(
        "/v1/boards/tidewater/jobs?content=true",
        json.loads((BOARDS / "greenhouse.json").read_text()),
    )
    source = _board_source("Tidewater", server, "tidewater")
    response = admin_client_.post(
        reverse("admin:pipeline_source_changelist"),
        {"action": "crawl_now", "_selected_action": [source.pk]},
        follow=True,
    )
    assert response.status_code == 200
    run = PipelineRun.objects.get(kind=Kind.SCRAPE, source=source)
    assert run.status == Status.SUCCEEDED
    assert Job.objects.filter(status=Job.Status.OPEN).count() == 4


@pytest.mark.django_db
def test_stage_commands_print_a_summary_of_their_run():
    out = StringIO()
    call_command("enrich", stdout=out)
    assert out.getvalue().startswith("Enrich run #")
    assert "succeeded in" in out.getvalue()

    out = StringIO()
    call_command("pipeline_run", "nightly", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Nightly (all four) run #") and "succeeded" in lines[0]
    assert [line.split(" run #")[0].strip() for line in lines[1:5]] == [
        "Scrape",
        "Enrich",
        "Match",
        "Send digests",
    ]


@pytest.mark.django_db
def test_pipeline_run_command_checks_its_arguments_and_can_queue(
    django_capture_on_commit_callbacks,
):
    with pytest.raises(CommandError, match="--source goes with the scrape stage only"):
        call_command("pipeline_run", "match", source="1")
    with pytest.raises(CommandError, match="no source 'nowhere'"):
        call_command("pipeline_run", "scrape", source="nowhere")
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        call_command("pipeline_run", "match", queue=True, stdout=out)
    run = PipelineRun.objects.get(kind=Kind.MATCH)
    assert out.getvalue().strip() == f"queued Match run #{run.pk}"
    assert run.status == Status.QUEUED and len(queued) == 1  # sent once the transaction commits
