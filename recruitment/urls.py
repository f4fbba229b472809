from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.admin import AdminLoginForm, view_on_site
from accounts.clerk_views import clerk_webhook_receive
from accounts.urls import email_urlpatterns
from pipeline.dashboard import dashboard_view
from recruitment import health

admin.site.site_header = "Recruitment back office"
admin.site.site_title = "Recruitment"
admin.site.index_title = "Hiring"
admin.site.login_form = AdminLoginForm
admin.site.index_template = "admin/recruitment_index.html"

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("jobs.api_urls")),
    path("", include("applications.api_urls")),
    path("", include("applications.hiring_api_urls")),
    path("", include("pipeline.api_urls")),
]

urlpatterns = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("admin/dashboard/", admin.site.admin_view(dashboard_view), name="admin-dashboard"),
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(view_on_site),
        name="admin-view-on-site",
    ),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("webhooks/clerk/", clerk_webhook_receive, name="clerk-webhook"),
    path("", include(email_urlpatterns)),
    path("", include("applications.urls")),
    # Candidate pages (server-rendered).
    path("", include("jobs.page_urls")),
    path("", include("applications.page_urls")),
    path("", include("accounts.page_urls")),
    path("", include("pipeline.page_urls")),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("demo-boards/", include("pipeline.urls")),  # DEBUG only: 404 otherwise
]
