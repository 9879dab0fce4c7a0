from __future__ import annotations

from rest_framework.routers import SimpleRouter

from learning.api import views

router = SimpleRouter()
router.register("incidents", views.IncidentViewSet, basename="api-incident")

urlpatterns = router.urls
