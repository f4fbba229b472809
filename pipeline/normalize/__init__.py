"""Turn the values of a schema.org JobPosting into the platform's fields.

Pure functions: no database and no network. The skill taxonomy is passed in (`taxonomy_build`),
so the crawler, the enrichment task and the `extract_posting` command share this code.
`posting_normalise` does a whole posting; the modules hold one field each.
"""

from jobs.descriptions import html_to_text
from pipeline.normalize.dates import date_normalise
from pipeline.normalize.employment import employment_type_normalise
from pipeline.normalize.places import (
    Location,
    country_code,
    location_from_place,
    location_from_text,
    locations_normalise,
    workplace_normalise,
)
from pipeline.normalize.posting import POSTING_KEYS, posting_normalise
from pipeline.normalize.salary import (
    Salary,
    period_normalise,
    salary_from_structured,
    salary_from_text,
)
from pipeline.normalize.seniority import (
    seniority_from_text,
    seniority_from_title,
    seniority_normalise,
)
from pipeline.normalize.skills import Taxonomy, skills_extract, taxonomy_build
from pipeline.normalize.text import description_normalise, text_clean

__all__ = [
    "POSTING_KEYS",
    "Location",
    "Salary",
    "Taxonomy",
    "country_code",
    "date_normalise",
    "description_normalise",
    "employment_type_normalise",
    "html_to_text",
    "location_from_place",
    "location_from_text",
    "locations_normalise",
    "period_normalise",
    "posting_normalise",
    "salary_from_structured",
    "salary_from_text",
    "seniority_from_text",
    "seniority_from_title",
    "seniority_normalise",
    "skills_extract",
    "taxonomy_build",
    "text_clean",
    "workplace_normalise",
]
