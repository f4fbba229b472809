"""Facets: counts per filter value of what the other filters keep, exact for small sets and
sampled, scaled and flagged for large ones."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from accounts.models import Seniority
from jobs.models import Job
from jobs.search import tuning
from jobs.search.matches import _Matches, _round_estimate
from jobs.search.results import Facet, FacetValue
from jobs.search.sql import _Where

POSTED_WITHIN_DAYS = (1, 3, 7, 14, 30)
SALARY_AT_LEAST = (30_000, 50_000, 75_000, 100_000, 150_000)


class _Facets(_Matches):
    # -- facets --

    def _facets(self, tsquery: str | None) -> dict[str, Facet]:
        # The sample says how large the set is: count all of it when small, else a sample.
        sample = self._sample(tsquery)
        # The work: rows the index yields (cheap to test against the filters, unless a phrase
        # must be checked, which reads the row's vector) and rows counted into the facets.
        visited = sample.visited * (
            tuning.FACET_MAX_ROWS // tuning.FACET_PHRASE_CHECKS if sample.phrase else 1
        )
        work = (visited + sample.base) * sample.rate
        rate = next(
            (r for r in (1, *tuning.SAMPLE_RATES) if work / r <= 2 * tuning.FACET_MAX_ROWS),
            tuning.SAMPLE_RATES[-1],
        )
        rows = self._facet_rows(tsquery, rate)
        return self._facet_values(rows, rate)

    def _facet_rows(self, tsquery: str | None, rate: int) -> list[tuple]:
        """Facet counts of the matches, on the sample of `rate` (1: all of them).

        Each facet counts with every filter applied but its own, as faceted search expects;
        skills, which must all match, count with every filter. Rows failing two filters count
        nowhere, so only they are left out.
        """
        names = [name for name, _ in self.conditions]
        where = self._match(tsquery, rate)
        flags, flag_params = [], []
        for k, (_, condition) in enumerate(self.conditions):
            flags.append(f"({condition.sql}) AS c{k}")
            flag_params.extend(condition.params)
        if self.conditions:
            failures = " + ".join(f"(NOT ({c.sql}))::int" for _, c in self.conditions)
            where = where & _Where(
                f"({failures}) <= 1", [p for _, c in self.conditions for p in c.params]
            )

        def unless(facet: str) -> str:
            others = [f"c{k}" for k, name in enumerate(names) if name != facet]
            return " AND ".join(others) or "TRUE"

        every = " AND ".join(f"c{k}" for k in range(len(names))) or "TRUE"
        salary_top = "coalesce(j.salary_max_yearly, j.salary_min_yearly)"
        # Posted buckets: edges oldest first; bucket b means newer than the b-th edge.
        edges = [
            (self.now - timedelta(days=days)).timestamp() for days in reversed(POSTED_WITHIN_DAYS)
        ]
        sql = f"""
            WITH m AS MATERIALIZED (
                SELECT j.city, j.country, j.remote, j.employment_type, j.seniority,
                       j.company_id, j.skill_slugs,
                       coalesce(width_bucket({salary_top}, %s::int[]), -1) AS salary,
                       width_bucket(extract(epoch FROM j.published_at)::float8, %s::float8[])
                           AS posted
                       {"".join(", " + flag for flag in flags)}
                  FROM jobs_job j WHERE {where.sql}
            )
            SELECT 'facet',
                   GROUPING(f_city, f_country, f_remote, f_employment, f_seniority, f_company,
                            f_salary, f_posted),
                   f_city, f_country, f_remote, f_employment, f_seniority, f_company::text,
                   f_salary::text, f_posted::text, NULL, count(*), count(*) FILTER (WHERE every)
              FROM (
                SELECT CASE WHEN {unless("city")} THEN city END AS f_city,
                       CASE WHEN {unless("country")} THEN country END AS f_country,
                       CASE WHEN {unless("remote")} THEN remote END AS f_remote,
                       CASE WHEN {unless("employment_type")} THEN employment_type END
                           AS f_employment,
                       CASE WHEN {unless("seniority")} THEN seniority END AS f_seniority,
                       CASE WHEN {unless("company")} THEN company_id END AS f_company,
                       CASE WHEN {unless("salary")} THEN salary END AS f_salary,
                       CASE WHEN {unless("posted_within_days")} THEN posted END AS f_posted,
                       {every} AS every
                  FROM m
              ) keyed
             GROUP BY GROUPING SETS ((f_city), (f_country), (f_remote), (f_employment),
                                     (f_seniority), (f_company), (f_salary), (f_posted), ())
            UNION ALL
            SELECT 'skill', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, s, count(*),
                   count(*)
              FROM m, unnest(m.skill_slugs) AS s WHERE {every} GROUP BY s
        """  # nosec B608 # SQL from fixed parts; values bound
        return self._fetchall(sql, [list(SALARY_AT_LEAST), edges, *flag_params, *where.params])

    def _facet_values(self, rows: list[tuple], rate: int) -> dict[str, Facet]:
        approximate = rate > 1
        counts: dict[str, dict[str, int]] = {
            name: {}
            for name in (
                "city", "country", "remote", "employment_type", "seniority", "company",
                "salary", "posted_within_days", "skills",
            )
        }  # fmt: skip
        # GROUPING() bits, left to right: city, country, remote, employment, seniority, company,
        # salary, posted; a 0 bit is the column the row groups by.
        order = ["city", "country", "remote", "employment_type", "seniority", "company",
                 "salary", "posted_within_days"]  # fmt: skip
        for row in rows:
            if row[0] == "skill":
                counts["skills"][row[10]] = row[12]
                continue
            grouping = row[1]
            for bit, name in enumerate(order):
                if grouping & (1 << (len(order) - 1 - bit)) == 0:
                    value = row[2 + bit]
                    if value is not None:
                        counts[name][value] = row[11]
        return self._labelled(counts, rate, approximate)

    def _labelled(self, counts: dict[str, dict[str, int]], rate: int, approximate: bool):
        f = self.filters

        def scaled(n: int) -> int:
            return _round_estimate(n * rate) if approximate else n

        facets: dict[str, Facet] = {}
        simple = {
            "remote": dict(Job.Remote.choices),
            "employment_type": dict(Job.EmploymentType.choices),
            "seniority": {**dict(Seniority.choices), "": "Not stated"},
        }
        for name in ("city", "country", "remote", "employment_type", "seniority"):
            selected = set(getattr(f, name))
            values = {k: v for k, v in counts[name].items() if k != "" or name == "seniority"}
            labels = simple.get(name, {})
            items = [
                FacetValue(value, labels.get(value, value), scaled(n), value in selected)
                for value, n in values.items()
            ]
            items += [
                FacetValue(value, labels.get(value, value), 0, True)
                for value in selected - set(values)
            ]
            facets[name] = Facet(name, _sorted(items), approximate)

        companies: dict[str, tuple[str, str]] = {}
        skill_names: dict[str, str] = {}
        for kind, key, slug, name in self._fetchall(
            "SELECT 'company', id::text, slug, name FROM accounts_company WHERE id = ANY(%s) "
            "UNION ALL SELECT 'skill', slug, slug, name FROM jobs_skill WHERE slug = ANY(%s)",
            [
                [int(k) for k in counts["company"]] + list(self.company_ids.values()),
                [*counts["skills"], *f.skills],
            ],
        ):
            if kind == "company":
                companies[key] = (slug, name)
            else:
                skill_names[key] = name
        items = [
            FacetValue(companies[k][0], companies[k][1], scaled(n), companies[k][0] in f.company)
            for k, n in counts["company"].items()
            if k in companies
        ]
        shown = {item.value for item in items}
        items += [
            FacetValue(slug, name, 0, True)
            for slug, name in companies.values()
            if slug in f.company and slug not in shown
        ]
        facets["company"] = Facet("company", _sorted(items), approximate)

        items = [
            FacetValue(slug, skill_names.get(slug, slug), scaled(n), slug in f.skills)
            for slug, n in counts["skills"].items()
        ]
        items = _sorted(items)[: tuning.SKILL_FACET_SIZE]
        items += [
            FacetValue(slug, skill_names.get(slug, slug), 0, True)
            for slug in f.skills
            if slug not in {item.value for item in items}
        ]
        facets["skills"] = Facet("skills", items, approximate)

        # Salary: bucket k holds tops in [SALARY_AT_LEAST[k-1], SALARY_AT_LEAST[k]); "at least
        # X" counts every bucket from X's up.
        buckets = {int(k): n for k, n in counts["salary"].items()}
        currency = settings.SEARCH_CURRENCY
        items = []
        for k, threshold in enumerate(SALARY_AT_LEAST, start=1):
            n = sum(c for b, c in buckets.items() if b >= k)
            items.append(
                FacetValue(
                    str(threshold),
                    f"{threshold:,} {currency}+ a year",
                    scaled(n),
                    f.salary_min == threshold,
                )
            )
        facets["salary"] = Facet("salary", items, approximate)

        # Posted: edges are oldest first; bucket b (1-based) means newer than edge b.
        buckets = {int(k): n for k, n in counts["posted_within_days"].items()}
        items = []
        for index, days in enumerate(reversed(POSTED_WITHIN_DAYS)):
            n = sum(c for b, c in buckets.items() if b >= index + 1)
            label = "Past 24 hours" if days == 1 else f"Past {days} days"
            items.append(FacetValue(str(days), label, scaled(n), f.posted_within_days == days))
        facets["posted_within_days"] = Facet(
            "posted_within_days", list(reversed(items)), approximate
        )
        return facets


def _sorted(items: list[FacetValue]) -> list[FacetValue]:
    return sorted(items, key=lambda item: (-item.count, item.label.lower()))
