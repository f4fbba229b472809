"""A source's config is checked where staff type it: the admin form shows what is wrong."""

from __future__ import annotations

import pytest

from pipeline.models import Source

pytestmark = pytest.mark.django_db


def _add(client, kind: str, config: str):
    return client.post(
        "/admin/pipeline/source/add/",
        {"name": f"{kind} source", "kind": kind, "config": config, "schedule": "daily"},
    )


def test_admin_refuses_a_board_without_its_name_with_a_clear_message(admin_client):
    response = _add(admin_client, "greenhouse", '{"bord": "acme"}')

    assert response.status_code == 200
    text = response.content.decode()
    assert "Unknown key(s) for a greenhouse source: bord" in text
    assert "A greenhouse source needs &quot;board&quot;" in text
    assert not Source.objects.exists()


def test_admin_refuses_a_bad_pattern_and_accepts_a_good_jsonld_config(admin_client):
    bad = _add(admin_client, "jsonld", '{"start_urls": ["https://x.org/jobs"], "allow": ["(["]}')
    good = _add(
        admin_client,
        "jsonld",
        '{"sitemap_urls": ["https://x.org/sitemap.xml"], "allow": ["/jobs/\\\\d+"]}',
    )

    assert bad.status_code == 200 and "is not a valid regular expression" in bad.content.decode()
    assert good.status_code == 302
    assert Source.objects.get().config["allow"] == ["/jobs/\\d+"]
