from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from aidcenter import excel_views, metrics, otp_views, views
from aidcenter.api_urls import router
from aidcenter.api_views import ChangeFeedView
from stats.api import StatsSummaryView

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/otp/", otp_views.otp_verify, name="otp-verify"),
    path("accounts/otp/setup/", otp_views.otp_setup, name="otp-setup"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("excel/jobs/", excel_views.job_list, name="excel-jobs"),
    path("excel/jobs/<uuid:pk>/", excel_views.job_page, name="excel-job"),
    path("excel/jobs/<uuid:pk>/download/", excel_views.job_download, name="excel-job-download"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # Split view + our template: Swagger UI's script and style come from files (strict CSP).
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("api/v1/sync/changes/", ChangeFeedView.as_view(), name="sync-changes"),
    path("api/v1/stats/summary/", StatsSummaryView.as_view(), name="stats-summary"),
    path("api/v1/", include(router.urls)),
    path("", include("cases.urls")),
    path("", include("stats.urls")),
    path("", include("jobs.urls")),
]

handler404 = "aidcenter.views.not_found"
handler500 = "aidcenter.views.server_error"
