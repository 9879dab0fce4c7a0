"""Admin of the learning app: the incident register, read-only (incidents are recorded
through their page and API, which audit them); and the indicator admin's "Backtest this
change" before a weight or threshold change is saved."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ewers.admin import NeedToKnowAdmin
from indicators.admin import IndicatorAdmin
from indicators.models import Indicator
from learning.backtest_service import PREVIEW_DAYS, Backtest, indicator_change_backtest
from learning.models import CheckInExpectation, CheckInMiss, Incident


@admin.register(Incident)
class IncidentAdmin(NeedToKnowAdmin):
    list_display = ["id", "community", "kind", "severity", "occurred_at", "organisation"]
    list_filter = ["kind", "severity"]
    search_fields = ["community__name", "community__code"]
    list_select_related = ["community", "organisation"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Incident | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Incident | None = None) -> bool:
        return False


# --- Monitors' expected check-ins (learning.checkins), set by administrators -----------------


class CheckInMissInline(admin.TabularInline[CheckInMiss, CheckInExpectation]):
    model = CheckInMiss
    extra = 0
    fields = ["due_at", "notified_at", "escalated_at"]
    readonly_fields = ["due_at", "notified_at", "escalated_at"]
    can_delete = False
    verbose_name_plural = gettext_lazy("Missed check-ins (each told once)")

    def has_add_permission(self, request: HttpRequest, obj: CheckInExpectation | None = None) -> bool:
        return False


@admin.register(CheckInExpectation)
class CheckInExpectationAdmin(admin.ModelAdmin[CheckInExpectation]):
    """Who is expected to report how often. The daily sweep tells the monitor's own
    organisation of a missed check-in, then the coordinators — never another police
    organisation (docs/learning.md, "Missed check-ins")."""

    list_display = ["monitor", "monitor_organisation", "every_days", "escalate_after_days", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["monitor__organisation"]
    search_fields = ["monitor__username", "monitor__first_name", "monitor__last_name"]
    autocomplete_fields = ["communities"]
    inlines = [CheckInMissInline]

    @admin.display(description=gettext_lazy("organisation"))
    def monitor_organisation(self, obj: CheckInExpectation) -> str:
        return str(obj.monitor.organisation or "")


# --- The indicator admin's backtest of a change before it is saved (docs/learning.md) ---------


def backtest_message(result: Backtest) -> str:
    live, trial = result.live, result.trial
    return _(
        "Not saved. Over the last %(days)d days this change would have opened %(trial)d alerts "
        "instead of %(live)d (%(trial_followed)d instead of %(live_followed)d followed by an incident)."
    ) % {
        "days": PREVIEW_DAYS,
        "trial": len(trial.replay.alerts),
        "live": len(live.replay.alerts),
        "trial_followed": trial.quality.followed,
        "live_followed": live.quality.followed,
    }


admin.site.unregister(Indicator)


@admin.register(Indicator)
class IndicatorBacktestAdmin(IndicatorAdmin):
    """The indicator admin with "Backtest this change": the form's values replayed over the
    last days beside the live settings, shown on the form, nothing saved."""

    def get_form(
        self, request: HttpRequest, obj: Indicator | None = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[Indicator]]:
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None or request.method != "POST" or "_backtest" not in request.POST:
            return form
        indicator = obj

        class BacktestForm(form):  # type: ignore[valid-type,misc]
            def clean(self) -> dict[str, Any]:
                data: dict[str, Any] = super().clean()
                if not self.errors:
                    result = indicator_change_backtest(indicator=indicator, changed=data, now=timezone.now())
                    # A form error keeps the edits on the page and saves nothing.
                    raise ValidationError(backtest_message(result))
                return data

        return BacktestForm
