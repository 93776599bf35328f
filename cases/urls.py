from django.urls import path

from cases import desk_views, import_views, privacy_views, views

app_name = "cases"
urlpatterns = [
    path("people/search/", views.search, name="search"),
    path("people/search/export.xlsx", import_views.search_export, name="search-export"),
    path("people/<uuid:pk>/", views.person_page, name="person"),
    path("people/<uuid:pk>/export.json", privacy_views.person_export, name="person-export"),
    path("people/<uuid:pk>/erase/", privacy_views.person_erase, name="person-erase"),
    path("files/<uuid:pk>/<slug:action>/", views.file_action, name="file-action"),
    path("documents/<uuid:pk>/", views.document, name="document"),
    path("desk/", desk_views.desk_page, name="desk"),
    path("desk/person/<uuid:pk>/", desk_views.desk_person, name="desk-person"),
    path("desk/log/", desk_views.desk_log, name="desk-log"),
    path("cases/<uuid:pk>/", desk_views.case_page, name="case"),
    path("cases/<uuid:pk>/receipt/", desk_views.receipt, name="receipt"),
    path("cases/<uuid:pk>/<slug:action>/", desk_views.case_act, name="case-act"),
    path("queue/", desk_views.queue_page, name="queue"),
    path("queue/export.xlsx", import_views.queue_export, name="queue-export"),
    path("people/import/", import_views.registry_import, name="registry-import"),
    path("people/import/template.xlsx", import_views.registry_template, name="registry-template"),
]
