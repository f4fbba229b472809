"""The DEBUG-only demo boards (see pipeline/views.py), mounted under /demo-boards/."""

from django.urls import path

from pipeline import views

urlpatterns = [
    path(
        "greenhouse/v1/boards/<slug:board>/jobs",
        views.greenhouse_jobs,
        name="demo-boards-greenhouse",
    ),
    path("lever/v0/postings/<slug:site>", views.lever_postings, name="demo-boards-lever"),
    path(
        "ashby/posting-api/job-board/<slug:board>",
        views.ashby_job_board,
        name="demo-boards-ashby",
    ),
    path(
        "careers/<slug:site>/sitemap.xml", views.careers_sitemap, name="demo-boards-careers-sitemap"
    ),
    path("careers/<slug:site>/jobs/<slug:slug>", views.careers_job, name="demo-boards-careers-job"),
]
