from __future__ import annotations

from rest_framework.routers import SimpleRouter

from indicators.api import views

router = SimpleRouter()
router.register("communities", views.CommunityViewSet, basename="api-community")
router.register("indicators", views.IndicatorViewSet, basename="api-indicator")
router.register("reports", views.ReportViewSet, basename="api-report")

urlpatterns = router.urls
