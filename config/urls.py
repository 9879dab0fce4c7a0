"""URL configuration: pages, the admin, the API v1 and its schema, the health check."""

from __future__ import annotations

from allauth.account import views as account_views
from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from alerts import urls as alert_urls
from config import views

admin.site.site_header = _("EWERS administration")
admin.site.site_title = _("EWERS")
admin.site.index_title = _("Organisations, users, regions and indicators")
# The admin site signs in through the site's own sign-in, second factor included: its
# own login form (password only) is never shown.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

# Under /api/ a URL no view matches is answered in JSON like every other API error.
handler404 = "config.views.not_found"
# A database error outside a view is a 503 like one inside it (ewers.middleware).
handler500 = "config.views.server_error"

# allauth's pages EWERS uses, and no others: no signup, no e-mail management (addresses
# are the administrator's), no sign-in by e-mailed code.
account_urlpatterns = [
    path("inactive/", account_views.account_inactive, name="account_inactive"),
    path("reauthenticate/", account_views.reauthenticate, name="account_reauthenticate"),
    path("password/change/", account_views.password_change, name="account_change_password"),
    path("password/reset/", account_views.password_reset, name="account_reset_password"),
    path("password/reset/done/", account_views.password_reset_done, name="account_reset_password_done"),
    re_path(
        r"^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        account_views.password_reset_from_key,
        name="account_reset_password_from_key",
    ),
    path(
        "password/reset/key/done/",
        account_views.password_reset_from_key_done,
        name="account_reset_password_from_key_done",
    ),
    # Two-factor sign-in: enrolment (app, recovery codes, security keys) and the sign-in step.
    path("2fa/", include("allauth.mfa.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    # allauth's sign-in (password, then the second factor where the user has one) and
    # sign-out, each under the name EWERS uses and the one allauth reverses.
    path("login/", account_views.login, name="login"),
    path("login/", account_views.login, name="account_login"),
    # Signing out also clears what the offline report form kept on the device (docs/offline.md).
    path("logout/", views.sign_out, name="logout"),
    path("logout/", views.sign_out, name="account_logout"),
    path("accounts/", include(account_urlpatterns)),
    path("reports/", include("indicators.urls")),
    path("alerts/", include("alerts.urls")),
    path("incidents/", include("learning.urls")),
    path("training/", include("training.urls")),
    path("", include("analytics.urls")),
    path("assignments/", include((alert_urls.assignment_urlpatterns, "assignments"))),
    path("notifications/", include((alert_urls.notification_urlpatterns, "notifications"))),
    path("handoffs/", include((alert_urls.handoff_urlpatterns, "handoffs"))),
    path("triage/", include("intake.urls")),
    path("healthz", views.healthz, name="healthz"),
    # The installable report form (docs/offline.md): at the root, so the worker's scope is the site.
    path("sw.js", views.service_worker, name="service-worker"),
    path("manifest.webmanifest", views.web_manifest, name="web-manifest"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("ewers.api.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # The language switch, also kept on the signed-in user's account (README "Languages").
    path("i18n/setlang/", views.language_set, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
]
