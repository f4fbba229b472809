"""Candidate pages about notifications: the in-app list, preferences, web push."""

from django.http import Http404


def notifications(request):
    raise Http404
