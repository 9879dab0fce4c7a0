"""The triage queue's pages."""

from __future__ import annotations

from django.urls import path

from intake import views

app_name = "triage"

urlpatterns = [
    path("", views.triage_list, name="list"),
    path("<int:pk>/", views.triage_detail, name="detail"),
    path("<int:pk>/accept/", views.triage_accept_view, name="accept"),
    path("<int:pk>/discard/", views.triage_discard_view, name="discard"),
]
