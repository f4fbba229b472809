"""The pipeline's routes in /api/v1/."""

from django.urls import path, re_path

from pipeline import apis

urlpatterns = [
    path("pipeline/runs", apis.PipelineRunListApi.as_view(), name="pipeline-runs"),
    path("pipeline/runs/<int:pk>", apis.PipelineRunDetailApi.as_view(), name="pipeline-run"),
    re_path(
        r"^pipeline/(?P<stage>scrape|enrich|match|send|nightly)$",
        apis.PipelineStageApi.as_view(),
        name="pipeline-stage",
    ),
    path("jobs/<int:pk>/matches", apis.JobMatchListApi.as_view(), name="matches-job"),
    path("users/me/matches", apis.MyMatchListApi.as_view(), name="matches-mine"),
]
