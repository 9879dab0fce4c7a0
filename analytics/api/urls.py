from __future__ import annotations

from django.urls import path

from analytics.api import views

urlpatterns = [
    path("heatmap/", views.HeatmapView.as_view(), name="api-heatmap"),
    path("alert-quality/", views.AlertQualityView.as_view(), name="api-alert-quality"),
]
