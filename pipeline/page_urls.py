from django.urls import path

from pipeline import pages

# Candidate pages over matches ("Jobs for you").
urlpatterns = [
    path("me/matches/<int:pk>/dismiss/", pages.match_dismiss, name="me-match-dismiss"),
]
