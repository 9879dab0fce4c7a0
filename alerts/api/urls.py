from __future__ import annotations

from rest_framework.routers import SimpleRouter

from alerts.api import views

router = SimpleRouter()
router.register("alerts", views.AlertViewSet, basename="api-alert")

urlpatterns = router.urls
