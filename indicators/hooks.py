"""The one seam between indicators and the alerting layer above it (docs/architecture.md).

indicators sits below alerts and never imports it (import-linter checks the layers in
``make test``). What scoring, need-to-know and the report page need from the layer above
is asked through this protocol, which ``alerts.apps.AlertsConfig.ready`` registers once at
start-up:

- ``assessments_recorded``: called inside the scoring transaction with every new
  assessment (a micro-batch's together), so an alert and the assessment that raised it commit together; answers
  whether an alert now points to that assessment (the scorer then stores its full
  evidence, one contribution per reading, which ``reports_held`` reads);
- ``reports_held``: the reports a responder's organisation may read (those behind the
  alerts it holds): the responder branch of ``FieldReport.visible_to``;
- ``batch``: entered by the scorer around a micro-batch, inside its transaction;
- ``open_alert``: what the report page says about the community's open alert.

Without a registered layer (scoring alone), nothing follows an assessment, responders read
no report and no page shows an alert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.db.models import QuerySet

if TYPE_CHECKING:  # the models import this module (FieldReport.visible_to)
    from ewers.models import Region, User
    from indicators.models import Indicator, RiskAssessment
    from indicators.scoring import ContributionFact


@dataclass(frozen=True)
class AssessmentRecorded:
    """A new assessment, with what the scorer concluded about it."""

    assessment: RiskAssessment
    previous_level: str | None
    contributions: Sequence[ContributionFact]
    triggered: bool
    indicators: Mapping[int, Indicator]
    # (indicator id, report id) of the fresh trigger readings at their critical threshold.
    triggers: Sequence[tuple[int, int]] = ()


@dataclass(frozen=True)
class OpenAlertNotice:
    """The community's open alert as the report page mentions it."""

    id: int
    level_display: str
    opened_at: datetime
    # Whether the user may open the alert's page (an analyst learns that an alert is
    # open, not the response to it).
    linked: bool


class Alerting(Protocol):
    def assessments_recorded(self, recorded: Sequence[AssessmentRecorded]) -> list[bool]:
        """Each new assessment in turn (one per community, in community order); for each,
        whether an alert now points to it (opened or escalated by it)."""
        ...

    def reports_held(self, organisation_id: int | None) -> QuerySet[Any] | None:
        """The ids (a ``values("report")`` subquery) of the reports the organisation may
        read; None for none."""
        ...

    def batch(self) -> AbstractContextManager[None]:
        """Around a scoring batch's work, inside its transaction: what the layer appends to
        a trail every writer shares (the audit chain, locked to the commit) is written at
        the end, so the batch does not hold other writers up from its first alert on."""
        ...

    def open_alert(self, user: User, community: Region) -> OpenAlertNotice | None: ...


class _NoAlerting:
    def assessments_recorded(self, recorded: Sequence[AssessmentRecorded]) -> list[bool]:
        return [False] * len(recorded)

    def reports_held(self, organisation_id: int | None) -> QuerySet[Any] | None:
        return None

    def batch(self) -> AbstractContextManager[None]:
        return nullcontext()

    def open_alert(self, user: User, community: Region) -> OpenAlertNotice | None:
        return None


_layer: Alerting = _NoAlerting()


def alerting_register(layer: Alerting) -> None:
    """Called once at start-up by the alerting layer (``alerts.apps``)."""
    global _layer
    _layer = layer


def alerting() -> Alerting:
    """The registered alerting layer."""
    return _layer
