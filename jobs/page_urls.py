from django.urls import path

from jobs import pages

# The public job board, mounted at the site root.
urlpatterns = [
    path("", pages.board, name="home"),
    path("jobs/", pages.board, name="job-board"),
    path("jobs/feed.atom", pages.feed, name="job-feed"),
    path("jobs/<slug:company_slug>/<slug:slug>/", pages.job_detail, name="job-detail"),
    path("sitemap.xml", pages.sitemap, name="sitemap"),
    path("sitemap-board.xml", pages.sitemap_board, name="sitemap-board"),
    path("sitemap-jobs-<int:section>.xml", pages.sitemap_jobs, name="sitemap-jobs"),
    path("robots.txt", pages.robots, name="robots"),
]
