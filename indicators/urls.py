"""Report pages (the browser UI; the API lives under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from indicators import views
from indicators.choices import Verification

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_new, name="new"),
    path("offline.json", views.report_offline_data, name="offline-data"),
    path("import/", views.report_import, name="import"),
    path("import/template.csv", views.report_import_template, name="import-template"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/status/", views.report_status, name="status"),
    path("<int:pk>/verify/", views.report_verify, {"verification": Verification.VERIFIED}, name="verify"),
    path("<int:pk>/dispute/", views.report_verify, {"verification": Verification.DISPUTED}, name="dispute"),
]
