from django.db import migrations

# Keep Job.search_vector current in the database, so every writer (services, bulk inserts,
# the crawler) gets it for free: title weighs most, then company and place, then the text.
FORWARD = """
CREATE FUNCTION jobs_job_search_vector_update() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english'::regconfig, coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(
            (SELECT name FROM accounts_company WHERE id = NEW.company_id), '')), 'B') ||
        setweight(to_tsvector('simple'::regconfig,
            concat_ws(' ', NEW.city, NEW.region, NEW.country)), 'B') ||
        setweight(to_tsvector('english'::regconfig,
            left(coalesce(NEW.description_text, ''), 200000)), 'C');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER jobs_job_search_vector
BEFORE INSERT OR UPDATE OF title, description_text, city, region, country, company_id
ON jobs_job FOR EACH ROW EXECUTE FUNCTION jobs_job_search_vector_update();

UPDATE jobs_job SET title = title;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS jobs_job_search_vector ON jobs_job;
DROP FUNCTION IF EXISTS jobs_job_search_vector_update();
"""


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
