from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from ewers.api import views

router = SimpleRouter()
router.register("regions", views.RegionViewSet, basename="api-region")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("auth/logout/", views.LogoutView.as_view(), name="api-logout"),
    path("me/", views.MeView.as_view(), name="api-me"),
    *router.urls,
    path("", include("indicators.api.urls")),
    path("", include("alerts.api.urls")),
    path("", include("analytics.api.urls")),
    path("", include("intake.api.urls")),
]
