"""URL configuration: pages, the admin, the API v1 and its schema, the health check."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from alerts import urls as alert_urls
from config import views
from ewers.forms import LoginForm

admin.site.site_header = _("EWERS administration")
admin.site.site_title = _("EWERS")
admin.site.index_title = _("Organisations, users, regions and indicators")

# Under /api/ a URL no view matches is answered in JSON like every other API error.
handler404 = "config.views.not_found"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("reports/", include("indicators.urls")),
    path("alerts/", include("alerts.urls")),
    path("", include("analytics.urls")),
    path("assignments/", include((alert_urls.assignment_urlpatterns, "assignments"))),
    path("notifications/", include((alert_urls.notification_urlpatterns, "notifications"))),
    path("handoffs/", include((alert_urls.handoff_urlpatterns, "handoffs"))),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("ewers.api.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
]
