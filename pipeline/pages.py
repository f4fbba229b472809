"""Candidate pages over their matches: dismiss one."""

from django.http import Http404


def match_dismiss(request, pk: int):
    raise Http404
