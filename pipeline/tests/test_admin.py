import pytest

from pipeline.models import Match, PipelineRun, ScrapedPosting
from pipeline.tests.factories import ADMIN_ROWS
from recruitment.tests.admin_helpers import _url


@pytest.mark.parametrize("model", [ScrapedPosting, PipelineRun, Match])
def test_pipeline_output_is_not_edited_by_hand(admin_client_, model):
    row = ADMIN_ROWS[model]()

    assert admin_client_.get(_url(model, "add")).status_code == 403
    response = admin_client_.get(_url(model, "change", row.pk))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
