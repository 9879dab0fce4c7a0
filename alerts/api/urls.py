from __future__ import annotations

from rest_framework.routers import SimpleRouter

from alerts.api import views

router = SimpleRouter()
router.register("alerts", views.AlertViewSet, basename="api-alert")
router.register("assignments", views.AssignmentViewSet, basename="api-assignment")
router.register("handoffs", views.HandoffViewSet, basename="api-handoff")
router.register("notifications", views.NotificationViewSet, basename="api-notification")

urlpatterns = router.urls
