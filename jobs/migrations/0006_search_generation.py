from django.db import migrations

# The search result cache (jobs/search/caches.py) keys results by a generation: a sequence that
# every committed change to jobs or companies moves on, so a change is never served from the
# cache. Deferred constraint triggers bump it at commit, not at the write: a search made
# between a write and its commit sees the old rows, and must not be cached under the
# generation the write moved to. TRUNCATE (test flushes) bumps it too.
FORWARD = """
CREATE SEQUENCE jobs_search_generation;

CREATE FUNCTION jobs_search_generation_bump() RETURNS trigger AS $$
BEGIN
    PERFORM nextval('jobs_search_generation');
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER jobs_job_search_generation
    AFTER INSERT OR UPDATE OR DELETE ON jobs_job
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION jobs_search_generation_bump();
CREATE TRIGGER jobs_job_search_generation_truncate AFTER TRUNCATE ON jobs_job
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_search_generation_bump();

CREATE CONSTRAINT TRIGGER accounts_company_search_generation
    AFTER INSERT OR UPDATE OR DELETE ON accounts_company
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION jobs_search_generation_bump();
CREATE TRIGGER accounts_company_search_generation_truncate AFTER TRUNCATE ON accounts_company
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_search_generation_bump();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS accounts_company_search_generation_truncate ON accounts_company;
DROP TRIGGER IF EXISTS accounts_company_search_generation ON accounts_company;
DROP TRIGGER IF EXISTS jobs_job_search_generation_truncate ON jobs_job;
DROP TRIGGER IF EXISTS jobs_job_search_generation ON jobs_job;
DROP FUNCTION IF EXISTS jobs_search_generation_bump();
DROP SEQUENCE IF EXISTS jobs_search_generation;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("jobs", "0005_hnsw_ef_construction_200"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
