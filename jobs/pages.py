"""The public job board: search, job pages, feed, sitemap and robots.txt."""

from django.http import Http404


def board(request):
    raise Http404


def feed(request):
    raise Http404


def job_detail(request, company_slug: str, slug: str):
    raise Http404


def sitemap(request):
    raise Http404


def robots(request):
    raise Http404
