from django.urls import path

from jobs import views

app_name = "jobs"
urlpatterns = [
    path("jobs/vacancies/", views.vacancy_list, name="vacancies"),
    path("jobs/vacancies/<int:pk>/", views.vacancy_page, name="vacancy"),
    path("jobs/vacancies/<int:pk>/place/<uuid:seeker_pk>/", views.place, name="place"),
    path("jobs/seekers/<uuid:pk>/", views.seeker_page, name="seeker"),
    path(
        "jobs/seekers/<uuid:pk>/intent/<int:vacancy_pk>/",
        views.record_intent,
        name="record-intent",
    ),
]
