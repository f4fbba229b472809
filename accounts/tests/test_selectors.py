import pytest

from accounts.selectors import audit_event_list, company_list, member_list, user_memberships
from accounts.services import audit_record

pytestmark = pytest.mark.django_db


def test_members_see_their_companies_and_admins_their_members(
    company, other_company, company_admin, recruiter
):
    assert list(company_list(user=recruiter)) == [company]
    assert [m.company for m in user_memberships(user=recruiter)] == [company]
    assert list(member_list(user=recruiter)) == []  # recruiters do not manage members
    members = member_list(user=company_admin, company=company)
    assert {m.user for m in members} == {company_admin, recruiter}


def test_audit_events_are_visible_to_admins_of_that_company_only(
    company, other_company, company_admin, recruiter
):
    audit_record(action="job.published", target=company)
    audit_record(action="job.published", target=other_company)
    audit_record(action="apikey.created", target=company)
    assert audit_event_list(user=recruiter).count() == 0
    mine = audit_event_list(user=company_admin, filters={"action": "job.published"})
    assert [e.company for e in mine] == [company]
    by_type = audit_event_list(user=company_admin, filters={"target_type": "accounts.company"})
    assert by_type.count() == 3  # with the company.created event
