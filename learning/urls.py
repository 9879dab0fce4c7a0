"""Pages of the incident register, under /incidents/ (namespace "incidents")."""

from __future__ import annotations

from django.urls import path

from learning import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_new, name="new"),
    path("<int:pk>/", views.incident_detail, name="detail"),
]
