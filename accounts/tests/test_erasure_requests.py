"""Erasure requests: filed when self-service erasure is refused (a company's last owner),
one pending per person with a one-month deadline, listed in the back office soonest first with
the overdue flagged, and answered there by "erase now" or "refuse" (audited)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, ErasureRequest, Membership, Role, User
from accounts.privacy import erasure_request_erase, erasure_request_file, erasure_request_refuse
from accounts.tests.factories import CandidateProfileFactory, MembershipFactory, UserFactory
from recruitment.api import ApplicationError

DELETE = reverse("me-privacy-delete")
REQUEST = reverse("me-privacy-erasure-request")
CHANGELIST = reverse("admin:accounts_erasurerequest_changelist")


@pytest.fixture
def last_owner(company):
    owner = CandidateProfileFactory(user__email="ada.owner@example.com").user
    Membership.objects.create(user=owner, company=company, role=Role.OWNER)
    return owner


@pytest.fixture
def owner_client(last_owner):
    client = Client()
    client.force_login(last_owner)
    return client


def _changelist_action(client, action: str, requests, **data):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [r.pk for r in requests], **data},
    )


def test_a_refused_erasure_offers_to_request_one(owner_client):
    html = owner_client.get(DELETE).content.decode()

    assert "You are the only owner" in html
    assert f'action="{REQUEST}"' in html and "Request erasure" in html


def test_requesting_files_one_pending_request_due_in_a_month(
    owner_client, last_owner, company, settings
):
    settings.ERASURE_DEADLINE_DAYS = 30
    before = timezone.now()

    response = owner_client.post(REQUEST)

    assert response.status_code == 302 and response["Location"] == DELETE
    request = ErasureRequest.objects.get(user=last_owner)
    assert request.status == ErasureRequest.Status.PENDING
    assert company.name in request.reason
    assert timedelta(days=30) <= request.due_at - before < timedelta(days=30, minutes=1)
    page = owner_client.get(DELETE).content.decode()
    assert f"We will answer it by {request.due_at:%-d %B %Y}" in page
    assert f'action="{REQUEST}"' not in page
    assert AuditEvent.objects.filter(action="privacy.erasure_requested").count() == 1


def test_requesting_again_keeps_the_one_pending_request(owner_client, last_owner):
    owner_client.post(REQUEST)
    first = ErasureRequest.objects.get(user=last_owner)

    owner_client.post(REQUEST)
    again, created = erasure_request_file(user=last_owner)

    assert not created and again == first
    assert ErasureRequest.objects.filter(user=last_owner).count() == 1


def test_someone_who_can_erase_themselves_files_no_request(candidate):
    client = Client()
    client.force_login(candidate)

    response = client.post(REQUEST)

    assert response["Location"] == DELETE
    assert not ErasureRequest.objects.exists()


def test_requesting_needs_a_login_and_a_post(client, owner_client, db):
    assert client.post(REQUEST)["Location"].startswith(reverse("account_login"))
    assert owner_client.get(REQUEST).status_code == 405


def _request(user, *, due_in_days: int) -> ErasureRequest:
    now = timezone.now()
    return ErasureRequest.objects.create(
        user=user, requested_at=now, due_at=now + timedelta(days=due_in_days)
    )


def test_the_admin_lists_pending_requests_soonest_first_and_flags_the_overdue(admin_client_, db):
    later = _request(UserFactory(email="later@example.com"), due_in_days=20)
    overdue = _request(UserFactory(email="overdue@example.com"), due_in_days=-2)
    soon = _request(UserFactory(email="soon@example.com"), due_in_days=3)
    done = _request(UserFactory(email="done@example.com"), due_in_days=1)
    done.status = ErasureRequest.Status.DONE
    done.save()

    html = admin_client_.get(CHANGELIST).content.decode()

    positions = [html.index(email) for email in ("overdue@", "soon@", "later@")]
    assert positions == sorted(positions)
    assert "done@example.com" not in html
    assert html.count("(overdue)") == 1
    assert f"{overdue.due_at:%Y-%m-%d} (overdue)" in html
    everything = admin_client_.get(CHANGELIST, {"state": "all"}).content.decode()
    assert "done@example.com" in everything
    only_overdue = admin_client_.get(CHANGELIST, {"state": "overdue"}).content.decode()
    assert "overdue@example.com" in only_overdue and "soon@example.com" not in only_overdue
    assert later.pk and soon.pk


def test_company_members_do_not_see_the_requests(recruiter, db):
    client = Client()
    client.force_login(recruiter)

    assert client.get(CHANGELIST).status_code in (302, 403)


def test_staff_with_the_permission_see_them(db):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename="view_erasurerequest"),
        Permission.objects.get(codename="change_erasurerequest"),
    )
    client = Client()
    client.force_login(staff)

    assert client.get(CHANGELIST).status_code == 200


def test_erase_now_erases_the_person_and_closes_the_request(
    admin_client_, superuser, last_owner, company
):
    request = _request(last_owner, due_in_days=10)
    MembershipFactory(company=company, role=Role.OWNER)  # someone else takes over the company

    response = _changelist_action(admin_client_, "erase_now", [request])

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == ErasureRequest.Status.DONE
    assert request.resolved_by == superuser and request.resolved_at
    tombstone = User.objects.get(pk=last_owner.pk)
    assert tombstone.email.endswith("@erased.invalid") and not tombstone.is_active
    erased = AuditEvent.objects.get(action="privacy.erased")
    assert erased.actor == superuser
    assert AuditEvent.objects.filter(
        action="privacy.erasure_request_done", actor=superuser
    ).exists()


def test_erase_now_still_refuses_to_leave_a_company_without_owner(
    admin_client_, superuser, last_owner
):
    request = _request(last_owner, due_in_days=10)

    response = _changelist_action(admin_client_, "erase_now", [request])

    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("only owner" in m for m in messages)
    request.refresh_from_db()
    assert request.status == ErasureRequest.Status.PENDING
    assert User.objects.get(pk=last_owner.pk).email == "ada.owner@example.com"


def test_refuse_asks_for_a_reason_then_refuses(admin_client_, superuser, last_owner):
    request = _request(last_owner, due_in_days=10)

    form = _changelist_action(admin_client_, "refuse", [request])
    assert form.status_code == 200 and "Why the request is refused" in form.content.decode()
    empty = _changelist_action(admin_client_, "refuse", [request], apply="Refuse", reason=" ")
    assert empty.status_code == 200
    assert ErasureRequest.objects.get(pk=request.pk).status == ErasureRequest.Status.PENDING

    response = _changelist_action(
        admin_client_, "refuse", [request], apply="Refuse", reason="Legal hold: art. 17(3)(e)"
    )

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == ErasureRequest.Status.REFUSED
    assert (request.reason, request.resolved_by) == ("Legal hold: art. 17(3)(e)", superuser)
    event = AuditEvent.objects.get(action="privacy.erasure_request_refused")
    assert event.changes == {"reason": "Legal hold: art. 17(3)(e)"}


def test_a_closed_request_cannot_be_answered_again(superuser, last_owner):
    request = _request(last_owner, due_in_days=10)
    erasure_request_refuse(request=request, actor=superuser, reason="Legal hold")

    with pytest.raises(ApplicationError, match="already refused"):
        erasure_request_erase(request=request, actor=superuser)
    with pytest.raises(ApplicationError, match="already refused"):
        erasure_request_refuse(request=request, actor=superuser, reason="again")


def test_self_erasure_closes_a_pending_request(last_owner, company, candidate):
    request = _request(last_owner, due_in_days=10)
    MembershipFactory(company=company, role=Role.OWNER)
    client = Client()
    client.force_login(last_owner)

    client.post(DELETE, {"confirm": "correct horse battery staple"})

    request.refresh_from_db()
    assert request.status == ErasureRequest.Status.DONE and request.resolved_at
