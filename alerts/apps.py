from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts")

    def ready(self) -> None:
        # The seam to the layer below: scoring hands its assessments over to alerts.
        from alerts.alerting import AlertingLayer  # models are loaded only now
        from indicators.hooks import alerting_register

        alerting_register(AlertingLayer())
