from django.urls import path

from stats import views

app_name = "stats"

urlpatterns = [
    path("stats/", views.dashboard, name="dashboard"),
    path("stats/records/", views.drill_down, name="records"),
    path("stats/chart/<str:key>.svg", views.chart, name="chart"),
]
