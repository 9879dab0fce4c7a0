"""The bench's URLs: the product's, and the bare ingest baseline (bench.bare) beside them.
Used only while the bench measures that baseline (``override_settings``)."""

from __future__ import annotations

from django.urls import include, path

from bench.bare import BARE_URL, BareReportView

urlpatterns = [
    path(BARE_URL.strip("/") + "/", BareReportView.as_view()),
    path("", include("config.urls")),
]
