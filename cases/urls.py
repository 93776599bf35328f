from django.urls import path

from cases import views

app_name = "cases"
urlpatterns = [
    path("people/search/", views.search, name="search"),
    path("people/<uuid:pk>/", views.person_page, name="person"),
    path("files/<uuid:pk>/<slug:action>/", views.file_action, name="file-action"),
    path("documents/<uuid:pk>/", views.document, name="document"),
]
