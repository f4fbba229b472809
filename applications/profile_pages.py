"""The candidate's profile page."""

from django.http import Http404


def profile(request):
    raise Http404
