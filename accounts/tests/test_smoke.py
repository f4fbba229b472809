def test_factories_build_a_company_with_default_stages(company, recruiter, candidate):
    assert company.stages.count() == 6
    assert recruiter.memberships.get().company == company
    assert candidate.candidate_profile.skills
