from django.urls import path

from stats import report_views, views

app_name = "stats"

urlpatterns = [
    path("stats/", views.dashboard, name="dashboard"),
    path("stats/records/", views.drill_down, name="records"),
    path("stats/chart/<str:key>.svg", views.chart, name="chart"),
    path("stats/reports/", report_views.reports_page, name="reports"),
    path("stats/reports/annual.xlsx", report_views.annual_xlsx, name="annual-report"),
    path("stats/reports/upward.xlsx", report_views.upward_xlsx, name="upward-export"),
]
