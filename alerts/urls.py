"""Pages of the alerts app: alerts and their actions under /alerts/, assignments under
/assignments/, handovers under /handoffs/ and the user's notifications under
/notifications/ (each list is mounted by config/urls.py under its own namespace)."""

from __future__ import annotations

from django.urls import path

from alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list, name="list"),
    path("<int:pk>/", views.alert_detail, name="detail"),
    path("<int:pk>/verify/", views.alert_verify, name="verify"),
    path("<int:pk>/resolve/", views.alert_resolve, name="resolve"),
    path("<int:pk>/dismiss/", views.alert_dismiss, name="dismiss"),
    path("<int:pk>/assign/", views.alert_assign, name="assign"),
    path("<int:pk>/notes/", views.alert_note, name="note"),
]

# Namespace "assignments".
assignment_urlpatterns = [
    path("", views.assignment_list, name="list"),
    path("<int:pk>/acknowledge/", views.assignment_acknowledge, name="acknowledge"),
    path("<int:pk>/start/", views.assignment_start, name="start"),
    path("<int:pk>/complete/", views.assignment_complete, name="complete"),
    path("<int:pk>/decline/", views.assignment_decline, name="decline"),
    path("<int:pk>/move/", views.assignment_move, name="move"),
    path("<int:pk>/handoff/", views.assignment_hand_off, name="handoff"),
]

# Namespace "handoffs".
handoff_urlpatterns = [
    path("<int:pk>/", views.handoff_detail, name="detail"),
    path("<int:pk>/accept/", views.handoff_accept, name="accept"),
    path("<int:pk>/decline/", views.handoff_decline, name="decline"),
]

# Namespace "notifications".
notification_urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notification_read, name="read"),
    path("alerts/<int:pk>/", views.notification_alert, name="alert"),
]
