from decimal import Decimal

from django.conf import settings
from django.db import migrations

# Every derived search column of jobs_job is kept by the database, so every writer (services,
# bulk inserts, the crawler, the seed) gets it for free, and a stale model instance that saves
# them back cannot corrupt them: any write to a derived column is replaced by its derived value.
#
# - skills_text and skill_slugs come from jobs_jobskill → jobs_skill. Writes to jobs_jobskill
#   are handled by statement-level triggers with transition tables, one UPDATE of the touched
#   jobs per statement, so bulk inserts of JobSkill rows stay cheap.
# - search_vector: title A, skills B, company and place C, description D. When only the skills
#   changed (the usual case right after a job was inserted), the vector is patched instead of
#   re-parsing the description: B is used by skills alone, so drop B and append the new B.
# - salary_*_yearly: the salary per year in settings.SEARCH_CURRENCY, from jobs_currencyrate.
# - Lexemes with a space, which the parser never makes, so no user query matches them:
#   - filter lexemes ('city Berlin', 'country DE', 'remote hybrid', 'employment contract',
#     'seniority senior', 'company 42', 'skill python'): search ANDs the filters into the
#     tsquery, so the GIN index answers words and filters together, and no plan reads the
#     vector of every row a filter keeps;
#   - sample lexemes: a fixed 1/4, 1/16 and 1/64 of the jobs (by a hash of the id) carry
#     'sample 1/4', 'sample 1/16', 'sample 1/64'; ANDed into a query they count a broad query
#     on an unbiased sample straight from the GIN index (see jobs/search.py).
#
# The heap is kept narrow (toast_tuple_target): descriptions, the vector and the embedding live
# in TOAST, so counting and faceting thousands of matches touches few pages. skill_slugs stays
# inline because facets and filters read it for every matching row.
FORWARD = """
DROP TRIGGER IF EXISTS jobs_job_search_vector ON jobs_job;
DROP FUNCTION IF EXISTS jobs_job_search_vector_update();

CREATE FUNCTION jobs_job_document(
    title text, skills text, company text, place text, description text
) RETURNS tsvector AS $$
    SELECT setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(skills, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(company, '')), 'C')
        || setweight(to_tsvector('simple'::regconfig, coalesce(place, '')), 'C')
        || setweight(to_tsvector('english'::regconfig,
                                 left(coalesce(description, ''), 200000)), 'D')
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION jobs_job_sample_lexemes(job_id bigint) RETURNS tsvector AS $$
    SELECT CASE
        WHEN hashint8(job_id) & 63 = 0
            THEN $v$'sample 1/4' 'sample 1/16' 'sample 1/64'$v$::tsvector
        WHEN hashint8(job_id) & 15 = 0 THEN $v$'sample 1/4' 'sample 1/16'$v$::tsvector
        WHEN hashint8(job_id) & 3 = 0 THEN $v$'sample 1/4'$v$::tsvector
        ELSE ''::tsvector
    END
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION jobs_job_filter_lexemes(
    city text, country text, remote text, employment_type text, seniority text,
    company_id bigint, skill_slugs varchar[]
) RETURNS tsvector AS $$
    SELECT array_to_tsvector(array_remove(ARRAY[
        'city ' || nullif(city, ''),
        'country ' || nullif(country, ''),
        'remote ' || nullif(remote, ''),
        'employment ' || nullif(employment_type, ''),
        'seniority ' || nullif(seniority, ''),
        'company ' || company_id
    ] || ARRAY(SELECT 'skill ' || s FROM unnest(skill_slugs) AS s), NULL))
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION jobs_job_derived_text() RETURNS trigger AS $$
BEGIN
    SELECT coalesce(string_agg(concat_ws(' ', s.name, array_to_string(s.aliases, ' ')), ' '
                               ORDER BY s.name), ''),
           coalesce(array_agg(s.slug::varchar ORDER BY s.slug), '{}')
      INTO NEW.skills_text, NEW.skill_slugs
      FROM jobs_jobskill js JOIN jobs_skill s ON s.id = js.skill_id
     WHERE js.job_id = NEW.id;
    IF TG_OP = 'UPDATE' AND OLD.search_vector IS NOT NULL
       AND NEW.search_vector IS NOT DISTINCT FROM OLD.search_vector
       AND NEW.title IS NOT DISTINCT FROM OLD.title
       AND NEW.description_text IS NOT DISTINCT FROM OLD.description_text
       AND NEW.city IS NOT DISTINCT FROM OLD.city
       AND NEW.region IS NOT DISTINCT FROM OLD.region
       AND NEW.company_id IS NOT DISTINCT FROM OLD.company_id THEN
        -- The words are unchanged but for the skills: keep the parsed text (ts_filter drops
        -- the skills, weight B, and the lexemes without positions), add the rest again.
        NEW.search_vector := ts_filter(OLD.search_vector, '{a,c,d}')
            || setweight(to_tsvector('english'::regconfig, NEW.skills_text), 'B')
            || jobs_job_sample_lexemes(NEW.id)
            || jobs_job_filter_lexemes(NEW.city, NEW.country, NEW.remote, NEW.employment_type,
                                       NEW.seniority, NEW.company_id, NEW.skill_slugs);
        RETURN NEW;
    END IF;
    NEW.search_vector := jobs_job_document(
        NEW.title,
        NEW.skills_text,
        (SELECT name FROM accounts_company WHERE id = NEW.company_id),
        concat_ws(' ', NEW.city, NEW.region),
        NEW.description_text
    ) || jobs_job_sample_lexemes(NEW.id)
      || jobs_job_filter_lexemes(NEW.city, NEW.country, NEW.remote, NEW.employment_type,
                                 NEW.seniority, NEW.company_id, NEW.skill_slugs);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER jobs_job_search_vector
BEFORE INSERT OR UPDATE OF title, description_text, city, region, country, remote,
                           employment_type, seniority, company_id, skills_text, skill_slugs,
                           search_vector
ON jobs_job FOR EACH ROW EXECUTE FUNCTION jobs_job_derived_text();

CREATE FUNCTION jobs_salary_yearly(amount bigint, currency text, period text)
RETURNS integer AS $$
    SELECT least(round(amount * r.rate * CASE period
        WHEN 'year' THEN 1 WHEN 'month' THEN 12 WHEN 'week' THEN 48
        WHEN 'day' THEN 200 WHEN 'hour' THEN 1600 END), 2147483647)::integer
      FROM jobs_currencyrate r WHERE $1 IS NOT NULL AND r.currency = upper($2)
$$ LANGUAGE sql STABLE;

CREATE FUNCTION jobs_job_salary_yearly() RETURNS trigger AS $$
BEGIN
    NEW.salary_min_yearly := jobs_salary_yearly(
        NEW.salary_min, NEW.salary_currency, NEW.salary_period);
    NEW.salary_max_yearly := jobs_salary_yearly(
        NEW.salary_max, NEW.salary_currency, NEW.salary_period);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER jobs_job_salary_yearly
BEFORE INSERT OR UPDATE OF salary_min, salary_max, salary_currency, salary_period,
                           salary_min_yearly, salary_max_yearly
ON jobs_job FOR EACH ROW EXECUTE FUNCTION jobs_job_salary_yearly();

-- Touch the jobs whose skills changed; jobs_job_derived_text recomputes their columns.
CREATE FUNCTION jobs_jobskill_inserted() RETURNS trigger AS $$
BEGIN
    UPDATE jobs_job SET skills_text = '' WHERE id IN (SELECT job_id FROM new_rows);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION jobs_jobskill_deleted() RETURNS trigger AS $$
BEGIN
    UPDATE jobs_job SET skills_text = '' WHERE id IN (SELECT job_id FROM old_rows);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION jobs_jobskill_updated() RETURNS trigger AS $$
BEGIN
    UPDATE jobs_job SET skills_text = '' WHERE id IN (
        SELECT o.job_id FROM old_rows o JOIN new_rows n ON n.id = o.id
         WHERE o.job_id <> n.job_id OR o.skill_id <> n.skill_id
        UNION SELECT n.job_id FROM old_rows o JOIN new_rows n ON n.id = o.id
         WHERE o.job_id <> n.job_id OR o.skill_id <> n.skill_id);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER jobs_jobskill_inserted AFTER INSERT ON jobs_jobskill
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION jobs_jobskill_inserted();
CREATE TRIGGER jobs_jobskill_deleted AFTER DELETE ON jobs_jobskill
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION jobs_jobskill_deleted();
CREATE TRIGGER jobs_jobskill_updated AFTER UPDATE ON jobs_jobskill
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION jobs_jobskill_updated();

-- A renamed skill (or new aliases) changes the text of every job that lists it.
CREATE FUNCTION jobs_skill_updated() RETURNS trigger AS $$
BEGIN
    UPDATE jobs_job SET skills_text = '' WHERE id IN (
        SELECT js.job_id FROM jobs_jobskill js
          JOIN old_rows o ON o.id = js.skill_id JOIN new_rows n ON n.id = o.id
         WHERE o.name <> n.name OR o.slug <> n.slug OR o.aliases <> n.aliases);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER jobs_skill_updated AFTER UPDATE ON jobs_skill
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION jobs_skill_updated();

-- A renamed company changes the text of its jobs (weight C).
CREATE FUNCTION jobs_company_renamed() RETURNS trigger AS $$
BEGIN
    UPDATE jobs_job SET search_vector = NULL WHERE company_id IN (
        SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.name <> n.name);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER jobs_company_renamed AFTER UPDATE ON accounts_company
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION jobs_company_renamed();

ALTER TABLE jobs_job ALTER COLUMN skill_slugs SET STORAGE MAIN;
ALTER TABLE jobs_job SET (toast_tuple_target = 256);

-- The planner's statistics for the top salary, which the salary order and filter compare:
-- without them it guesses a third of the rows for any bound.
CREATE STATISTICS jobs_job_salary_top ON (coalesce(salary_max_yearly, salary_min_yearly))
FROM jobs_job;
"""

BACKWARD = """
DROP STATISTICS IF EXISTS jobs_job_salary_top;
ALTER TABLE jobs_job RESET (toast_tuple_target);
ALTER TABLE jobs_job ALTER COLUMN skill_slugs SET STORAGE EXTENDED;
DROP TRIGGER IF EXISTS jobs_company_renamed ON accounts_company;
DROP FUNCTION IF EXISTS jobs_company_renamed();
DROP TRIGGER IF EXISTS jobs_skill_updated ON jobs_skill;
DROP FUNCTION IF EXISTS jobs_skill_updated();
DROP TRIGGER IF EXISTS jobs_jobskill_inserted ON jobs_jobskill;
DROP TRIGGER IF EXISTS jobs_jobskill_deleted ON jobs_jobskill;
DROP TRIGGER IF EXISTS jobs_jobskill_updated ON jobs_jobskill;
DROP FUNCTION IF EXISTS jobs_jobskill_inserted();
DROP FUNCTION IF EXISTS jobs_jobskill_deleted();
DROP FUNCTION IF EXISTS jobs_jobskill_updated();
DROP TRIGGER IF EXISTS jobs_job_salary_yearly ON jobs_job;
DROP FUNCTION IF EXISTS jobs_job_salary_yearly();
DROP FUNCTION IF EXISTS jobs_salary_yearly(bigint, text, text);
DROP TRIGGER IF EXISTS jobs_job_search_vector ON jobs_job;
DROP FUNCTION IF EXISTS jobs_job_derived_text();
DROP FUNCTION IF EXISTS jobs_job_document(text, text, text, text, text);
DROP FUNCTION IF EXISTS jobs_job_sample_lexemes(bigint);
DROP FUNCTION IF EXISTS jobs_job_filter_lexemes(text, text, text, text, text, bigint, varchar[]);

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

# A snapshot of jobs.search.CURRENCY_RATES when this migration was written (units of EUR per
# unit); `currency_rates_sync` keeps the table current afterwards.
RATES_IN_EUR = {
    "EUR": "1", "USD": "0.92", "GBP": "1.17", "CHF": "1.05", "PLN": "0.23", "SEK": "0.087",
    "DKK": "0.134", "CAD": "0.68", "AUD": "0.61", "SGD": "0.69", "INR": "0.011",
    "JPY": "0.0062", "BRL": "0.17",
}  # fmt: skip


def fill_rates(apps, schema_editor):
    CurrencyRate = apps.get_model("jobs", "CurrencyRate")
    target = settings.SEARCH_CURRENCY.upper()
    if target not in RATES_IN_EUR:
        return  # currency_rates_sync reports the missing rate
    base = Decimal(RATES_IN_EUR[target])
    for currency, rate in RATES_IN_EUR.items():
        CurrencyRate.objects.update_or_create(
            currency=currency,
            defaults={"rate": (Decimal(rate) / base).quantize(Decimal("0.00000001"))},
        )


def backfill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        # Writing a derived column makes the triggers recompute all of them.
        cursor.execute("UPDATE jobs_job SET search_vector = NULL, salary_min_yearly = NULL")
        cursor.execute(VOCABULARY_SQL)


# The same statement as jobs.services.search_vocabulary_refresh, frozen here.
VOCABULARY_SQL = """
WITH words AS (
    SELECT word, ndoc FROM ts_stat($q$
        SELECT to_tsvector('simple'::regconfig,
                           concat_ws(' ', j.title, j.skills_text, c.name, j.city))
          FROM jobs_job j JOIN accounts_company c ON c.id = j.company_id
         WHERE j.status = 'open'
    $q$)
    WHERE length(word) BETWEEN 2 AND 100 AND word ~ '^[[:alpha:]][[:alpha:]+#.-]*$'
)
MERGE INTO jobs_searchterm t USING words w ON t.word = w.word
WHEN MATCHED THEN UPDATE SET frequency = w.ndoc
WHEN NOT MATCHED THEN INSERT (word, frequency) VALUES (w.word, w.ndoc)
WHEN NOT MATCHED BY SOURCE THEN DELETE
"""


class Migration(migrations.Migration):
    dependencies = [("jobs", "0003_search_columns_vocabulary_rates")]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(fill_rates, migrations.RunPython.noop),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
