"""The pure normalisers: no database, no network."""

import pytest

from pipeline.normalize import (
    POSTING_KEYS,
    Location,
    Salary,
    country_code,
    date_normalise,
    description_normalise,
    employment_type_normalise,
    html_to_text,
    location_from_place,
    location_from_text,
    locations_normalise,
    period_normalise,
    posting_normalise,
    salary_from_structured,
    salary_from_text,
    seniority_from_text,
    seniority_from_title,
    skills_extract,
    taxonomy_build,
    text_clean,
    workplace_normalise,
)

TAXONOMY = taxonomy_build(
    [
        ("C++", ["cpp"]),
        ("C#", ["c sharp"]),
        (".NET", ["dotnet", "asp.net"]),
        ("Node.js", ["node", "nodejs"]),
        ("Java", []),
        ("JavaScript", ["js", "es6"]),
        ("Go", ["golang"]),
        ("React", ["reactjs", "react.js"]),
        ("React Native", []),
        ("REST APIs", ["rest"]),
        ("Machine learning", ["ml"]),
        ("AWS", ["amazon web services"]),
        ("CI/CD", ["continuous integration"]),
        ("scikit-learn", ["sklearn"]),
        ("Kotlin", []),
        ("Python", ["py"]),
    ]
)


def _salary(low, high, currency, period):
    return Salary(low, high, currency, period)


# --- Text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Hello \n world ", "Hello world"),
        ("None", None),
        ("null", None),
        ("-", None),
        ("", None),
        (None, None),
        (True, None),
        (42, "42"),
        ("Caf&eacute; &amp; Co", "Café & Co"),
        (["", "None", "First"], "First"),
        ({"@type": "Organization", "name": "Comscore"}, "Comscore"),
        ({"@value": "Leipzig"}, "Leipzig"),
        ("NA", "NA"),  # Namibia, not "n/a"
    ],
)
def test_text_clean(value, expected):
    assert text_clean(value) == expected


# --- Dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-04-16T14:32:01.000Z", "2020-04-16"),
        ("2020-10-20 20:28:32 UTC", "2020-10-20"),
        ("2020-10-25T16:01:35-07:00", "2020-10-25"),  # the day as written, not in UTC
        ("2020-09-25", "2020-09-25"),
        ("2020/09/25", "2020-09-25"),
        ("20 October 2020", "2020-10-20"),
        ("Oct 20, 2020", "2020-10-20"),
        ("20.10.2020", "2020-10-20"),
        (1603238912, "2020-10-21"),
        (1603238912000, "2020-10-21"),
        ("1970-01-01T00:00:00.000Z", None),
        ("0001-01-01", None),
        ("9999-12-31", None),
        (0, None),
        ("2020-13-45", None),
        ("soon", None),
        ("None", None),
        (None, None),
        (True, None),
    ],
)
def test_date_normalise(value, expected):
    assert date_normalise(value) == expected


# --- Employment type -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("FULL_TIME", "full_time"),
        ("Full-Time", "full_time"),
        ("full time", "full_time"),
        ("Permanent", "full_time"),
        ("PART_TIME", "part_time"),
        ("Teilzeit", "part_time"),
        ("CONTRACTOR", "contract"),
        ("Freelance", "contract"),
        ("TEMPORARY", "temporary"),
        ("Seasonal", "temporary"),
        ("INTERN", "internship"),
        ("Internship", "internship"),
        ("OTHER", "other"),
        ("VOLUNTEER", "other"),
        ("PER_DIEM", "other"),
        (["OTHER", "FULL_TIME"], "full_time"),
        (["PART_TIME", "FULL_TIME"], "part_time"),
        ("FULL_TIME, PART_TIME", "full_time"),
        ("Full-Time/Permanent", "full_time"),
        ("banana", None),
        ("None", None),
        (None, None),
        ([], None),
    ],
)
def test_employment_type_normalise(value, expected):
    assert employment_type_normalise(value) == expected


# --- Seniority -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Senior Front-End Engineer", "senior"),
        ("Sr. Python Developer", "senior"),
        ("Sr Data Engineer", "senior"),
        ("Lead Developer", "lead"),
        ("Tech Lead, Payments", "lead"),
        ("Team Leader", "lead"),
        ("Principal Engineer", "lead"),
        ("Staff Software Engineer", "lead"),
        ("Senior Staff Engineer", "lead"),
        ("Head of Engineering", "lead"),
        ("Director of Product", "lead"),
        ("Staff Accountant", None),  # "staff" outside an engineering title is no level
        ("Lead Generation Specialist", None),
        ("Junior Developer", "junior"),
        ("Jr. QA Engineer", "junior"),
        ("Graduate Software Engineer", "junior"),
        ("Entry Level Analyst", "junior"),
        ("Entry-level Data Analyst", "junior"),
        ("Start kariéry jako Junior C++ Programátor/ka", "junior"),
        ("Software Engineering Intern", "intern"),
        ("Summer Internship - Data", "intern"),
        ("Internal Tools Engineer", None),
        ("International Sales Manager", None),
        ("Software Engineer I", "junior"),
        ("Software Engineer II", "mid"),
        ("Software Engineer III", "senior"),
        ("Mid-level Backend Developer", "mid"),
        ("Medior Java Developer", "mid"),
        ("Junior/Mid PHP Developer", "junior"),
        ("Junior to Senior Developer", "junior"),
        ("Seniors Care Assistant", None),
        ("Mid-Senior level Engineer", "senior"),
        ("Software Engineer", None),
        ("Solution Engineer (M/F/X)", None),
        ("DevOps Engineer, Kubernetes, AWS/GCP", None),
        (None, None),
    ],
)
def test_seniority_from_title(title, expected):
    assert seniority_from_title(title) == expected


@pytest.mark.parametrize(
    ("text", "experience", "expected"),
    [
        ("", "Junior, Mid-Level", "junior"),
        ("", "Senior", "senior"),
        ("", {"@type": "OccupationalExperienceRequirements", "monthsOfExperience": 36}, "mid"),
        ("", {"monthsOfExperience": 6}, "junior"),
        ("Experience level: Senior\nRole: Frontend", None, "senior"),
        ("Seniority level: Entry level", None, "junior"),
        ("You bring 2+ years of experience in Python.", None, "mid"),
        ("At least 5 years of professional experience.", None, "senior"),
        ("3-5 years of professional work experience", None, "mid"),
        ("0-1 years of experience welcome", None, "junior"),
        ("Our company has 30 years of experience in the market.", None, None),
        ("This is an entry-level position.", None, "junior"),
        ("from Staff level to Lead Engineer", None, None),
        ("You will take the lead on projects and mentor junior engineers.", None, None),
        ("", None, None),
    ],
)
def test_seniority_from_text(text, experience, expected):
    assert seniority_from_text(text, experience=experience) == expected


# --- Salary --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pay: $80k-$100k", _salary(80_000, 100_000, "USD", "year")),
        ("€55,000 – 65,000 a year", _salary(55_000, 65_000, "EUR", "year")),
        ("£30,000 per annum", _salary(30_000, 30_000, "GBP", "year")),
        ("Compensation: $75k - 125k | Equity", _salary(75_000, 125_000, "USD", "year")),
        ("75-125k USD", _salary(75_000, 125_000, "USD", "year")),
        ("USD 50,000 to 60,000", _salary(50_000, 60_000, "USD", "year")),
        ("55K EUR", _salary(55_000, 55_000, "EUR", "year")),
        ("CHF 120'000", _salary(120_000, 120_000, "CHF", "year")),
        ("$45/hour", _salary(45, 45, "USD", "hour")),
        ("£25.50 an hour", _salary(25.5, 25.5, "GBP", "hour")),
        ("Hourly rate: $45", _salary(45, 45, "USD", "hour")),
        ("€3.500 per month", _salary(3_500, 3_500, "EUR", "month")),
        ("50 000 – 70 000 Kč monthly", _salary(50_000, 70_000, "CZK", "month")),
        ("$500 per day", _salary(500, 500, "USD", "day")),
        ("$1,200 weekly", _salary(1_200, 1_200, "USD", "week")),
        ("¥6,000,000", _salary(6_000_000, 6_000_000, "JPY", "year")),
        ("2+ years of experience, 10s of petabytes", None),  # no currency, no salary
        ("We raised $5M in our Series A", None),
        ("a $1.5 billion market", None),
        ("$10 a year", None),  # absurd: too low
        ("$5,000,000 a year", None),  # absurd: too high
        ("$2,000 an hour", None),  # 4.16M a year
        ("PHP 7 and Symfony", None),
        ("Salary of $120k and 401(k)", _salary(120_000, 120_000, "USD", "year")),
        ("Competitive salary", None),
        (None, None),
    ],
)
def test_salary_from_text(text, expected):
    assert salary_from_text(text) == expected


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (  # RemoteOK: a string value with unitCode ANN
            {"@type": "MonetaryAmount", "currency": "USD", "value": "55000", "unitCode": "ANN"},
            None,
            _salary(55_000, 55_000, "USD", "year"),
        ),
        (  # Stack Overflow: a QuantitativeValue range
            {
                "@type": "MonetaryAmount",
                "currency": "USD",
                "value": {
                    "@type": "QuantitativeValue",
                    "minValue": 75000,
                    "maxValue": 125000,
                    "unitText": "YEAR",
                },
            },
            None,
            _salary(75_000, 125_000, "USD", "year"),
        ),
        (
            {"currency": "GBP", "value": {"value": 25, "unitText": "HOUR"}},
            None,
            _salary(25, 25, "GBP", "hour"),
        ),
        (
            {"currency": "EUR", "value": 4000, "unitCode": "MON"},
            None,
            _salary(4000, 4000, "EUR", "month"),
        ),
        (
            {"currency": "EUR", "value": 900, "unitText": "WEEK"},
            None,
            _salary(900, 900, "EUR", "week"),
        ),
        (
            {"currency": "EUR", "value": 400, "unitCode": "DAY"},
            None,
            _salary(400, 400, "EUR", "day"),
        ),
        (
            {"currency": "USD", "value": 40, "unitText": "per hour"},
            None,
            _salary(40, 40, "USD", "hour"),
        ),
        ({"currency": "usd", "value": "50k-60k"}, None, _salary(50_000, 60_000, "USD", "year")),
        ({"value": "$55,000"}, None, _salary(55_000, 55_000, "USD", "year")),
        (50_000, "EUR", _salary(50_000, 50_000, "EUR", "year")),
        (  # min and max the wrong way round
            {"currency": "USD", "value": {"minValue": "90000", "maxValue": "70000"}},
            None,
            _salary(70_000, 90_000, "USD", "year"),
        ),
        ({"currency": "USD", "minValue": 60000}, None, _salary(60_000, None, "USD", "year")),
        (  # a yearly figure labelled per hour is absurd, not a fortune
            {"currency": "USD", "value": {"value": 55000, "unitText": "HOUR"}},
            None,
            None,
        ),
        ({"currency": "USD", "value": "0"}, None, None),
        ({"currency": "USD", "value": "None"}, None, None),
        (
            [{"currency": "USD", "value": "x"}, {"currency": "USD", "value": 70000}],
            None,
            _salary(70_000, 70_000, "USD", "year"),
        ),
        (None, None, None),
    ],
)
def test_salary_from_structured(value, currency, expected):
    assert salary_from_structured(value, currency=currency) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("ANN", "year"), ("YEAR", "year"), ("MON", "month"), ("WEE", "week"), ("DAY", "day"),
     ("HUR", "hour"), ("HOUR", "hour"), ("per hour", "hour"), ("PER_YEAR", "year"), ("x", None)],
)  # fmt: skip
def test_period_normalise(value, expected):
    assert period_normalise(value) == expected


def test_salary_annual_uses_stated_factors():
    assert Salary(20, 25, "USD", "hour").annual() == (41_600, 52_000)
    assert Salary(400, None, "EUR", "day").annual() == (104_000, None)
    assert Salary(1_000, 1_000, "EUR", "week").annual() == (52_000, 52_000)
    assert Salary(4_000, 5_000, "EUR", "month").annual() == (48_000, 60_000)


def test_salary_as_dict_keeps_whole_numbers_whole():
    assert Salary(55_000.0, 65_000.0, "EUR", "year").as_dict() == {
        "min": 55_000,
        "max": 65_000,
        "currency": "EUR",
        "period": "year",
    }
    assert Salary(25.5, None, "GBP", "hour").as_dict()["min"] == 25.5


# --- Locations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("DE", "DE"),
        ("de", "DE"),
        ("DEU", "DE"),
        ("Germany", "DE"),
        ("Deutschland", "DE"),
        ("Czech Republic", "CZ"),
        ("Czechia", "CZ"),
        ("Česká republika", "CZ"),
        ("USA", "US"),
        ("United States of America", "US"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("The Netherlands", "NL"),
        ("South Korea", "KR"),
        ("Côte d'Ivoire", "CI"),
        ("NA", "NA"),
        ("XK", "XK"),
        ({"@type": "Country", "name": "FR"}, "FR"),
        ({"@type": "Country", "name": "France"}, "FR"),
        ("AN", None),  # Netherlands Antilles: withdrawn from ISO 3166-1 in 2010
        ("Anywhere", None),
        ("Atlantis", None),
        ("None", None),
    ],
)
def test_country_code(value, expected):
    assert country_code(value) == expected


@pytest.mark.parametrize(
    ("place", "expected", "remote"),
    [
        (  # Stack Overflow: "-" for the region
            {
                "@type": "Place",
                "address": {
                    "@type": "PostalAddress",
                    "addressCountry": "DE",
                    "addressRegion": "-",
                    "addressLocality": "Leipzig",
                    "streetAddress": "10 Hainstraße",
                },
            },
            Location("Leipzig", None, "DE"),
            False,
        ),
        (  # LinkedIn: nulls everywhere but the country
            {"address": {"addressLocality": None, "addressRegion": "None", "addressCountry": "CZ"}},
            Location(None, None, "CZ"),
            False,
        ),
        (  # RemoteOK: "Anywhere" in every field
            {
                "address": {
                    "addressCountry": "Anywhere",
                    "addressRegion": "Anywhere",
                    "addressLocality": "Anywhere",
                }
            },
            None,
            True,
        ),  # fmt: skip
        (  # We Work Remotely: city and state in addressLocality
            {"address": {"addressLocality": "Sacramento, CA"}},
            Location("Sacramento", "CA", None),  # CA is also Canada: the country stays unknown
            False,
        ),
        ({"address": {"addressLocality": "Austin, TX"}}, Location("Austin", "TX", "US"), False),
        (
            {"address": {"addressLocality": "Prague, Czech Republic", "addressCountry": "CZ"}},
            Location("Prague", None, "CZ"),
            False,
        ),
        (
            {"address": {"addressLocality": "Remote, US"}},
            Location(None, None, "US"),
            True,
        ),
        (
            {"address": {"addressLocality": "Munich", "addressCountry": {"name": "Germany"}}},
            Location("Munich", None, "DE"),
            False,
        ),
        ({"address": {"addressCountry": "Europe"}}, Location(None, "Europe", None), False),
        ({"address": "Berlin, Germany"}, Location("Berlin", None, "DE"), False),
        ({"@type": "Place", "name": "Berlin, Germany"}, Location("Berlin", None, "DE"), False),
        ({"@type": "Place", "address": []}, None, False),
        ("London, UK", Location("London", None, "GB"), False),
        (None, None, False),
    ],
)
def test_location_from_place(place, expected, remote):
    assert location_from_place(place) == (expected, remote)


@pytest.mark.parametrize(
    ("text", "expected", "remote"),
    [
        ("New York, NY, USA", Location("New York", "NY", "US"), False),
        ("Atlanta, Georgia", Location("Atlanta", "Georgia", None), False),  # the state or GE
        ("Remote - Germany", Location(None, None, "DE"), True),
        ("Remote (Europe)", Location(None, "Europe", None), True),
        ("Anywhere", None, True),
        ("Leipzig", Location("Leipzig"), False),
        ("Canada", Location(None, None, "CA"), False),
        ("Texas", Location(None, "Texas", "US"), False),
        ("TX", Location(None, "TX", "US"), False),
        ("CA", Location(None, None, "CA"), False),  # alone, a code is a country's
    ],
)
def test_location_from_text(text, expected, remote):
    assert location_from_text(text) == (expected, remote)


def test_locations_normalise_reads_arrays_and_drops_duplicates():
    places = [
        {"@type": "Place", "address": {"addressCountry": "AO"}},
        {"@type": "Place", "address": {"addressCountry": "AN"}},
        {"@type": "Place", "address": {"addressCountry": "AO"}},
        {"@type": "Place", "address": {"addressCountry": "NA"}},
    ]
    assert locations_normalise(places) == ([Location(country="AO"), Location(country="NA")], False)


def test_locations_normalise_adds_applicant_location_requirements():
    locations, anywhere = locations_normalise(
        {"address": {"addressLocality": "Berlin", "addressCountry": "DE"}},
        requirements=[
            {"@type": "Country", "name": "USA"},
            {"@type": "AdministrativeArea", "name": "California"},
            {"@type": "AdministrativeArea", "name": "Bavaria"},
            {"@type": "Country", "name": "Atlantis"},
        ],
    )
    assert locations == [
        Location("Berlin", None, "DE"),
        Location(country="US"),
        Location(None, "California", "US"),
        Location(None, "Bavaria", None),
    ]
    assert anywhere is False


def test_locations_normalise_reads_anywhere_requirement_as_remote():
    assert locations_normalise(None, requirements={"@type": "Country", "name": "Anywhere"}) == (
        [],
        True,
    )


# --- Workplace -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"location_type": "TELECOMMUTE"}, "remote"),
        ({"location_type": ["TELECOMMUTE"]}, "remote"),
        ({"anywhere": True}, "remote"),
        ({"title": "Remote Software Engineer"}, "remote"),
        ({"places": ["Remote, US"]}, "remote"),
        ({"title": "Backend Engineer (Hybrid)", "location_type": "TELECOMMUTE"}, "hybrid"),
        ({"places": ["Berlin (hybrid)"]}, "hybrid"),
        ({"text": "We offer a hybrid working model."}, "hybrid"),
        ({"text": "This role is fully remote."}, "remote"),
        ({"text": "All roles are 100% remote."}, "remote"),
        ({"text": "This is not fully remote."}, "onsite"),
        ({"title": "Non-remote Engineer"}, "onsite"),
        ({}, "onsite"),
    ],
)
def test_workplace_normalise(kwargs, expected):
    arguments = {
        "location_type": None,
        "title": None,
        "places": [],
        "anywhere": False,
        "text": None,
    }
    assert workplace_normalise(**{**arguments, **kwargs}) == expected


# --- Description ---------------------------------------------------------------------------


def test_html_to_text_keeps_paragraphs_and_lines():
    markup = (
        "<h2>About</h2>\r\n<p>We build <strong>tools</strong>&nbsp;&amp; more.</p>"
        "<p>Line one<br>line two<br/><br/>New paragraph</p>"
        "<ul>\n<li>First</li>\n<li>Second</li>\n</ul><script>alert(1)</script><!-- hidden -->"
        "<p>End</p>"
    )
    assert html_to_text(markup) == (
        "About\n\nWe build tools & more.\n\nLine one\nline two\n\nNew paragraph\n\n"
        "First\nSecond\n\nEnd"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<p>One</p><p>Two &amp; three</p>", "One\n\nTwo & three"),
        # entity-encoded HTML (We Work Remotely), with a double-encoded ampersand
        ("&lt;div&gt;Helm &amp;amp; Ansible&lt;/div&gt;&lt;div&gt;Next&lt;/div&gt;",
         "Helm & Ansible\n\nNext"),
        # plain text with entities and CRLF (RemoteOK)
        ("\nJob Title:&nbsp;Engineer&nbsp;\r\n\r\n\r\nWhat You&rsquo;ll Do:\n* Build",
         "Job Title: Engineer\n\nWhat You’ll Do:\n* Build"),
        ("a < b and c > d", "a < b and c > d"),
        ("None", None),
        ("", None),
        (None, None),
    ],
)  # fmt: skip
def test_description_normalise(value, expected):
    assert description_normalise(value) == expected


# --- Skills --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C++ and C# developers", ["c#", "c++"]),
        ("Experience with .NET and ASP.NET Core.", [".net"]),
        ("Node.js, Java.", ["java", "node.js"]),
        ("JavaScript only", ["javascript"]),
        ("We write Go and Python", ["go", "python"]),
        ("Go is our language. We go to market fast.", []),
        ("Golang services", ["go"]),
        ("Design REST endpoints", ["rest apis"]),
        ("Rest of the team, RESTful services", []),
        ("ML platform", ["machine learning"]),
        ("add 5 ml of water", []),
        ("Own our CI/CD pipelines", ["ci/cd"]),
        ("scikit learn and scikit-learn", ["scikit-learn"]),
        ("React Native apps", ["react native"]),
        ("Use React/Redux, react quickly", ["react"]),
        ("python@example.org", []),
        ("ES6+", ["javascript"]),
        ("", []),
    ],
)
def test_skills_extract_from_text(text, expected):
    assert skills_extract(declared=None, text=text, taxonomy=TAXONOMY) == expected


def test_skills_extract_maps_declared_skills_and_keeps_unknown_ones():
    declared = ["reactjs", "amazon-web-services", "Redux", "nodejs", "c#"]
    assert skills_extract(declared=declared, text=None, taxonomy=TAXONOMY) == [
        "aws",
        "c#",
        "node.js",
        "react",
        "redux",
    ]
    assert skills_extract(declared="Python, Django", text=None, taxonomy=TAXONOMY) == [
        "django",
        "python",
    ]
    kotlin = [{"@type": "DefinedTerm", "name": "Kotlin"}]
    assert skills_extract(declared=kotlin, text=None, taxonomy=TAXONOMY) == ["kotlin"]


def test_skills_extract_reads_capitalised_words_in_titles():
    assert skills_extract(declared=None, title="Go Developer", text="", taxonomy=TAXONOMY) == ["go"]


def test_taxonomy_prefers_names_over_other_skills_aliases():
    taxonomy = taxonomy_build([("Airflow", ["dags"]), ("Apache Airflow", ["airflow"]), ("", [])])
    assert taxonomy.names["airflow"] == "airflow"
    assert taxonomy_build([]).pattern is None


# --- The whole posting ---------------------------------------------------------------------


def test_posting_normalise_gives_exactly_the_documented_keys():
    posting = posting_normalise({"@type": "JobPosting"}, taxonomy=TAXONOMY)
    assert tuple(posting) == POSTING_KEYS
    assert posting == {
        "title": None,
        "company": None,
        "locations": [],
        "remote": False,
        "workplace": "onsite",
        "employment_type": None,
        "seniority": None,
        "date_posted": None,
        "valid_through": None,
        "salary": None,
        "skills": [],
        "description": None,
        "url": None,
    }


def test_posting_normalise_falls_back_to_text_salary_and_page_description():
    posting = posting_normalise(
        {"title": "Data Science Intern", "hiringOrganization": "Acme", "skills": None},
        taxonomy=TAXONOMY,
        url="https://jobs.example.com/1",
        fallback_description="<div><p>Pay: €2,000 per month.</p><p>Python and ML.</p></div>",
    )
    assert posting["description"] == "Pay: €2,000 per month.\n\nPython and ML."
    assert posting["salary"] == {"min": 2000, "max": 2000, "currency": "EUR", "period": "month"}
    assert posting["seniority"] == "intern"
    assert posting["employment_type"] == "internship"
    assert posting["skills"] == ["machine learning", "python"]
    assert posting["company"] == "Acme"
    assert posting["url"] == "https://jobs.example.com/1"
