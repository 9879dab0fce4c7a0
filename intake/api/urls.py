from __future__ import annotations

from django.urls import path

from intake.api import views

urlpatterns = [
    path("gateways/sms/", views.SmsGatewayView.as_view(), name="api-gateway-sms"),
]
