"""The back office's dashboard (/admin/dashboard/): a company's hiring at a glance.

Open jobs, the funnel, time to hire and in each stage, conversion by source and interviewer load
for a company the user may report on (`reports.view`: hiring managers and up), over the last
`days` (30, 90 or 365); the job board's top and zero-result searches and the last pipeline runs
for those who may see the pipeline (superusers, or staff with its admin permission). It lives in
the top app because it reads every layer. Charts are SVG made on the server.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone

from accounts.models import Company
from accounts.permissions import company_ids_with
from applications import reports
from jobs.models import Job
from jobs.selectors import search_top_queries, search_zero_result_queries
from pipeline.selectors import runs_list
from recruitment.charts import bar_chart

PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 90


def _companies(user):
    ids = company_ids_with(user, "reports.view")
    companies = Company.objects.filter(is_tenant=True).order_by("name")
    return companies if ids is None else companies.filter(pk__in=ids)


def _choice(value: str | None, allowed, default):
    return int(value) if value and value.isdigit() and int(value) in allowed else default


def dashboard_view(request):
    companies = list(_companies(request.user).values_list("pk", "name"))
    sees_pipeline = request.user.is_superuser or request.user.has_perm("pipeline.view_pipelinerun")
    if not companies and not sees_pipeline:
        raise PermissionDenied("The dashboard needs the reports permission of a company.")
    ids = [pk for pk, _ in companies]
    company_id = _choice(request.GET.get("company"), ids, ids[0] if ids else None)
    days = _choice(request.GET.get("days"), PERIODS, DEFAULT_PERIOD)
    since = timezone.now() - timedelta(days=days)
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "companies": companies,
        "company_id": company_id,
        "periods": PERIODS,
        "days": days,
        "sees_pipeline": sees_pipeline,
    }
    if company_id is not None:
        funnel = reports.funnel(company_id=company_id, since=since)
        time_to_hire, hires = reports.time_to_hire_days(company_id=company_id, since=since)
        in_stage = reports.time_in_stage_days(company_id=company_id, since=since)
        context |= {
            "open_jobs": Job.objects.filter(company_id=company_id, status=Job.Status.OPEN).count(),
            "applications": funnel[0][1] if funnel else 0,
            "time_to_hire": time_to_hire,
            "hires": hires,
            "funnel_chart": bar_chart(
                funnel, title="Applications that reached each stage", chart_id="funnel"
            ),
            "stage_chart": bar_chart(
                in_stage, title="Mean days in each stage", unit="days", chart_id="in-stage"
            ),
            "sources": reports.conversion_by_source(company_id=company_id, since=since),
            "load": reports.interviewer_load(company_id=company_id),
        }
    if sees_pipeline:
        context |= {
            "top_searches": list(search_top_queries(since=since, limit=10)),
            "zero_searches": list(search_zero_result_queries(since=since, limit=10)),
            "runs": list(runs_list().filter(parent__isnull=True)[:5]),
        }
    return TemplateResponse(request, "admin/dashboard.html", context)
