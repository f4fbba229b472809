"""Applications, candidates, documents and candidate search: routes in /api/v1/."""

from django.urls import path

from applications import apis

urlpatterns = [
    path("applications", apis.ApplicationListApi.as_view(), name="applications"),
    path("applications/<int:pk>", apis.ApplicationDetailApi.as_view(), name="applications-detail"),
    path("applications/<int:pk>/move", apis.ApplicationMoveApi.as_view(), name="applications-move"),
    path(
        "applications/<int:pk>/reject",
        apis.ApplicationRejectApi.as_view(),
        name="applications-reject",
    ),
    path(
        "applications/<int:pk>/withdraw",
        apis.ApplicationWithdrawApi.as_view(),
        name="applications-withdraw",
    ),
    path("applications/<int:pk>/hire", apis.ApplicationHireApi.as_view(), name="applications-hire"),
    path(
        "applications/<int:pk>/stages",
        apis.ApplicationStageHistoryApi.as_view(),
        name="applications-stages",
    ),
    path("stages", apis.StageListApi.as_view(), name="stages"),
    path("candidates", apis.CandidateListApi.as_view(), name="candidates"),
    path("candidates/<int:pk>", apis.CandidateDetailApi.as_view(), name="candidates-detail"),
    path("search/candidates", apis.CandidateSearchApi.as_view(), name="search-candidates"),
    path("documents", apis.DocumentListApi.as_view(), name="documents"),
    path("documents/<int:pk>", apis.DocumentDetailApi.as_view(), name="documents-detail"),
    path(
        "documents/<int:pk>/download",
        apis.DocumentDownloadApi.as_view(),
        name="documents-download",
    ),
]
