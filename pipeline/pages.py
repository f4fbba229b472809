"""Candidate pages over their matches: dismiss one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from pipeline.matching import match_dismiss as match_dismiss_service
from pipeline.selectors import candidate_match


@login_required
@require_POST
def match_dismiss(request, pk: int):
    match = candidate_match(user=request.user, match_id=pk)
    if match is None:
        raise Http404("No such match.")
    match_dismiss_service(match=match, user=request.user)
    messages.success(request, f"We won't suggest “{match.job.title}” to you again.")
    return redirect(reverse("me-dashboard") + "#jobs-for-you")
