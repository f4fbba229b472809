"""Small helpers shared by the admin tests of every app."""

from django.contrib.messages import get_messages
from django.urls import reverse


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]
