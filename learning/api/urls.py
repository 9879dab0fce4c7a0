from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from learning.api import views

router = SimpleRouter()
router.register("incidents", views.IncidentViewSet, basename="api-incident")

urlpatterns = [
    path("surges/", views.SurgesView.as_view(), name="api-surges"),
    path("forecasts/", views.ForecastsView.as_view(), name="api-forecasts"),
    path("forecasts/<str:ref>/", views.ForecastView.as_view(), name="api-forecast"),
    *router.urls,
]
