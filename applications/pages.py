"""Candidate pages: apply, and the dashboard of their applications."""

from django.http import Http404


def apply(request, company_slug: str, slug: str):
    raise Http404


def dashboard(request):
    raise Http404
