"""Candidate pages about their data: download it, delete the account."""

from django.http import Http404


def privacy(request):
    raise Http404
