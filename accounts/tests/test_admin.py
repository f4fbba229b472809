import hashlib
import re

from django.contrib import admin
from django.utils import timezone

from accounts.models import (
    ApiKey,
    AuditEvent,
    CandidateProfile,
    Company,
    Membership,
    Role,
    User,
)
from accounts.services import api_key_authenticate, api_key_create, audit_record
from accounts.tests.factories import PASSWORD, UserFactory
from recruitment.tests.admin_helpers import _messages, _url


def test_user_admin_adds_a_user_with_a_hashed_password(admin_client_):
    response = admin_client_.post(
        _url(User, "add"),
        {
            "email": "New.Person@Example.com",
            "full_name": "New Person",
            "usable_password": "true",
            "password1": "a-long-and-unusual-passphrase",
            "password2": "a-long-and-unusual-passphrase",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.full_name == "New Person"
    assert user.password != "a-long-and-unusual-passphrase"
    assert user.check_password("a-long-and-unusual-passphrase")


def test_user_admin_refuses_an_email_differing_only_in_case(admin_client_):
    UserFactory(email="taken@example.com")

    response = admin_client_.post(
        _url(User, "add"),
        {
            "email": "TAKEN@example.com",
            "usable_password": "true",
            "password1": "a-long-and-unusual-passphrase",
            "password2": "a-long-and-unusual-passphrase",
        },
    )

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


def test_user_admin_change_page_never_shows_the_password_hash(admin_client_, candidate):
    response = admin_client_.get(_url(User, "change", candidate.pk))

    assert candidate.password not in response.content.decode()


def test_api_key_admin_stores_only_the_hash_and_shows_the_token_once(admin_client_, company):
    response = admin_client_.post(
        _url(ApiKey, "add"),
        {
            "company": company.pk,
            "name": "Job board sync",
            "scopes": ["jobs:read", "applications:write"],
            "expires_at_0": "",
            "expires_at_1": "",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == _url(ApiKey, "changelist")
    api_key = ApiKey.objects.get(company=company, name="Job board sync")
    assert api_key.scopes == ["applications:write", "jobs:read"]
    shown = [str(m) for m in response.context["messages"]]
    [token] = [t for m in shown for t in re.findall(r"rk_[0-9a-f]+\.\S+", m)]
    prefix, _, secret = token.partition(".")
    assert prefix == api_key.prefix
    assert api_key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {str(getattr(api_key, f.attname)) for f in ApiKey._meta.fields}
    assert api_key_authenticate(token=token) == api_key
    assert AuditEvent.objects.filter(action="apikey.created", target_id=str(api_key.pk)).exists()

    page = admin_client_.get(_url(ApiKey, "change", api_key.pk)).content.decode()
    assert secret not in page
    assert api_key.secret_hash not in page
    assert api_key.prefix in page


def test_api_key_admin_revoke_action_revokes_and_audits(admin_client_, company):
    api_key, _ = api_key_create(company=company, name="Old", scopes=[], actor=None)

    response = admin_client_.post(
        _url(ApiKey, "changelist"),
        {"action": "revoke_keys", "_selected_action": [api_key.pk]},
    )

    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert AuditEvent.objects.filter(action="apikey.revoked", target_id=str(api_key.pk)).exists()
    assert "Revoked 1 API key(s)." in _messages(response)


def test_api_key_admin_offers_no_delete(admin_client_, company, superuser, rf):
    api_key, _ = api_key_create(company=company, name="Kept", scopes=[], actor=None)
    request = rf.get("/")
    request.user = superuser

    assert "delete_selected" not in admin.site._registry[ApiKey].get_actions(request)
    assert admin_client_.get(_url(ApiKey, "delete", api_key.pk)).status_code == 403


def test_audit_event_admin_is_read_only(admin_client_, superuser, rf, company):
    event = audit_record(action="test.happened", actor=superuser, target=company)
    request = rf.get("/")
    request.user = superuser
    model_admin = admin.site._registry[AuditEvent]

    assert admin_client_.get(_url(AuditEvent, "add")).status_code == 403
    assert admin_client_.get(_url(AuditEvent, "delete", event.pk)).status_code == 403
    assert "delete_selected" not in model_admin.get_actions(request)
    response = admin_client_.post(_url(AuditEvent, "change", event.pk), {"action": "edited"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.action == "test.happened"


def test_company_admin_add_creates_the_default_stages(admin_client_):
    response = admin_client_.post(
        _url(Company, "add"),
        {
            "name": "Acme",
            "slug": "acme",
            "is_tenant": "on",
            "website": "",
            "description": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    company = Company.objects.get(slug="acme")
    assert company.stages.count() == 6
    assert AuditEvent.objects.filter(action="company.created", company=company).exists()


def test_company_admin_membership_inline_goes_through_membership_set(admin_client_, company, owner):
    newcomer = UserFactory()
    membership = owner.memberships.get()

    response = admin_client_.post(
        _url(Company, "change", company.pk),
        {
            "name": company.name,
            "slug": company.slug,
            "is_tenant": "on",
            "website": "",
            "description": "",
            "memberships-TOTAL_FORMS": "2",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": membership.pk,
            "memberships-0-company": company.pk,
            "memberships-0-role": Role.OWNER,
            "memberships-1-company": company.pk,
            "memberships-1-user": newcomer.pk,
            "memberships-1-role": Role.RECRUITER,
        },
    )

    assert response.status_code == 302
    assert company.memberships.get(user=newcomer).role == Role.RECRUITER
    assert AuditEvent.objects.filter(
        action="membership.created", company=company, changes__user=newcomer.email
    ).exists()
    newcomer.refresh_from_db()
    assert newcomer.is_staff


def test_membership_admin_role_change_is_audited(admin_client_, company, owner, recruiter):
    membership = recruiter.memberships.get()

    response = admin_client_.post(_url(Membership, "change", membership.pk), {"role": Role.ADMIN})

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    event = AuditEvent.objects.get(action="membership.role_changed", target_id=str(membership.pk))
    assert event.changes["role"] == [Role.RECRUITER, Role.ADMIN]


def test_membership_admin_refusal_is_a_message_not_a_500(admin_client_, company, owner):
    membership = owner.memberships.get()

    response = admin_client_.post(
        _url(Membership, "change", membership.pk), {"role": Role.RECRUITER}
    )

    assert response.status_code == 302
    assert "A company must keep at least one owner." in _messages(response)
    membership.refresh_from_db()
    assert membership.role == Role.OWNER
    assert not AuditEvent.objects.filter(action="membership.role_changed").exists()


def test_membership_admin_delete_view_goes_through_membership_remove(
    admin_client_, company, owner, recruiter
):
    last_owner, member = owner.memberships.get(), recruiter.memberships.get()

    refused = admin_client_.post(_url(Membership, "delete", last_owner.pk), {"post": "yes"})
    done = admin_client_.post(_url(Membership, "delete", member.pk), {"post": "yes"})

    assert refused.status_code == 302
    assert refused.url == _url(Membership, "delete", last_owner.pk)
    assert "A company must keep at least one owner." in _messages(refused)
    assert done.status_code == 302
    assert list(company.memberships.all()) == [last_owner]
    assert AuditEvent.objects.filter(action="membership.removed", company=company).count() == 1


def test_membership_admin_remove_action_goes_through_membership_remove(
    admin_client_, company, owner, recruiter
):
    memberships = [owner.memberships.get(), recruiter.memberships.get()]

    response = admin_client_.post(
        _url(Membership, "changelist"),
        {"action": "remove_memberships", "_selected_action": [m.pk for m in memberships]},
    )

    assert response.status_code == 302
    assert list(company.memberships.values_list("user", flat=True)) == [owner.pk]
    messages = _messages(response)
    assert any("at least one owner" in m for m in messages)
    assert "Removed 1 membership(s)." in messages
    assert AuditEvent.objects.filter(action="membership.removed", company=company).count() == 1


def test_user_admin_changes_a_user(admin_client_, candidate):
    response = admin_client_.post(
        _url(User, "change", candidate.pk),
        {
            "email": "Renamed@Example.com",
            "full_name": "Renamed",
            "clerk_user_id": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.email == "renamed@example.com"
    assert candidate.clerk_user_id is None
    assert candidate.check_password(PASSWORD)


def test_audit_event_admin_filters_by_action_company_and_date(
    admin_client_, company, other_company
):
    mine = audit_record(action="job.published", target=company)
    audit_record(action="job.closed", target=other_company)
    today = timezone.now().date()

    response = admin_client_.get(
        _url(AuditEvent, "changelist"),
        {
            "action": "job.published",
            "company": company.pk,
            "created_at__year": today.year,
            "created_at__month": today.month,
        },
    )

    assert response.status_code == 200
    assert [event.pk for event in response.context["cl"].result_list] == [mine.pk]


def test_candidate_profile_admin_never_shows_the_vector(admin_client_, candidate):
    profile = candidate.candidate_profile
    profile.embedding = [0.125] * 384
    profile.save()

    response = admin_client_.get(_url(CandidateProfile, "change", profile.pk))

    assert response.status_code == 200
    assert "0.125" not in response.content.decode()
    assert "embedding" not in response.context["adminform"].form.fields
