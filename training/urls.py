"""Pages of training and calibration, under /training/ (namespace "training")."""

from __future__ import annotations

from django.urls import path

from training import views

app_name = "training"

urlpatterns = [
    path("", views.vignette_list, name="list"),
    path("vignettes/new/", views.vignette_new, name="vignette-new"),
    path("vignettes/<int:pk>/", views.vignette_detail, name="vignette"),
    path("vignettes/<int:pk>/edit/", views.vignette_edit, name="vignette-edit"),
    path("vignettes/<int:pk>/practise/", views.vignette_practise, name="practise"),
    path("attempts/<int:pk>/", views.attempt_detail, name="attempt"),
    path("calibration/", views.calibration, name="calibration"),
    path("calibration/<int:pk>/", views.calibration_analyst, name="calibration-analyst"),
]
