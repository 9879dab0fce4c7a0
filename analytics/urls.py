"""Analytics pages: the heatmap and its CSV, the community page, the coordinator's overview."""

from __future__ import annotations

from django.urls import path

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("heatmap/", views.heatmap_page, name="heatmap"),
    path("heatmap/export.csv", views.heatmap_export, name="heatmap-csv"),
    path("overview/", views.overview_page, name="overview"),
    path("communities/<str:ref>/", views.community_page, name="community"),
]
