from django.urls import path

from applications import pages, profile_pages

# Candidate pages: apply, the dashboard of their applications, their profile.
urlpatterns = [
    path("jobs/<slug:company_slug>/<slug:slug>/apply/", pages.apply, name="job-apply"),
    path("me/", pages.dashboard, name="me-dashboard"),
    path(
        "me/applications/<int:pk>/submitted/",
        pages.apply_submitted,
        name="me-application-submitted",
    ),
    path(
        "me/applications/<int:pk>/withdraw/",
        pages.withdraw,
        name="me-application-withdraw",
    ),
    path("me/interviews/<int:pk>.ics", pages.interview_ics, name="me-interview-ics"),
    path("me/profile/", profile_pages.profile, name="me-profile"),
    path("me/profile/skills", profile_pages.skills, name="me-profile-skills"),
]
