"""Routes in /api/v1/."""

from django.urls import path

from jobs import apis

urlpatterns = [
    path("jobs", apis.JobListApi.as_view(), name="jobs"),
    path("jobs/<int:pk>", apis.JobDetailApi.as_view(), name="jobs-detail"),
    path("jobs/<int:pk>/publish", apis.JobPublishApi.as_view(), name="jobs-publish"),
    path("jobs/<int:pk>/close", apis.JobCloseApi.as_view(), name="jobs-close"),
    path("public/jobs", apis.PublicJobListApi.as_view(), name="public-jobs"),
    path("public/jobs/<int:pk>", apis.PublicJobDetailApi.as_view(), name="public-jobs-detail"),
    path("search/jobs", apis.JobSearchApi.as_view(), name="search-jobs"),
]
