"""Writes of the indicators app: the catalogue (versioned), field reports, and scoring.

- ``catalogue``: indicators created and changed, each change of a scoring setting versioned;
- ``frameworks``: indicator frameworks (themes and indicators) imported from and exported
  as JSON (the file's checks are the pure ``indicators.frameworks``);
- ``reports``: field reports checked, saved (idempotent per key), verified or disputed;
- ``reports_bulk``: many reports (a batch, an import) checked alike and saved together;
- ``scoring``: a community assessed from its recent readings by the pure core
  (``indicators.scoring``), the assessment handed to the alerting layer above
  (``indicators.hooks``) in the same transaction, the sweep of reports left unscored;
- ``scoring_state``: each community's decayed sums by indicator, carried forward so a new
  report is scored without reading the whole window;
- ``risk``: each community's current and weekly risk, kept with each assessment for the
  dashboard, and rebuilt from the assessments when needed.

Who may log or verify reports is ``indicators.permissions``.
"""

from __future__ import annotations

from indicators.services.catalogue import MEANING_FIELDS, VERSIONED_FIELDS, indicator_update_settings, indicator_upsert
from indicators.services.frameworks import FrameworkImportResult, framework_export, framework_import
from indicators.services.reports import (
    CLOCK_SKEW_TOLERANCE,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    MAX_READINGS_PER_REPORT,
    NARRATIVE_MAX_LENGTH,
    SOURCE_REFERENCE_MAX_LENGTH,
    ReadingInput,
    field_report_create,
    field_report_validate,
    field_report_verify,
)
from indicators.services.reports_bulk import (
    DraftOutcome,
    ReportDraft,
    field_reports_create,
    field_reports_validate,
)
from indicators.services.risk import risk_rebuild, risk_recompute, risk_record
from indicators.services.scoring import (
    communities_to_rescore,
    community_assess,
    report_score,
    reports_score,
    reports_sweep,
    reports_waiting_score,
)
from indicators.services.scoring_state import scoring_config, state_invalidate
from indicators.services.scoring_wake import scoring_wake, scoring_wake_forget

__all__ = [
    "CLOCK_SKEW_TOLERANCE",
    "IDEMPOTENCY_KEY_MAX_LENGTH",
    "MAX_READINGS_PER_REPORT",
    "MEANING_FIELDS",
    "NARRATIVE_MAX_LENGTH",
    "SOURCE_REFERENCE_MAX_LENGTH",
    "VERSIONED_FIELDS",
    "DraftOutcome",
    "FrameworkImportResult",
    "ReadingInput",
    "ReportDraft",
    "communities_to_rescore",
    "community_assess",
    "field_report_create",
    "field_report_validate",
    "field_report_verify",
    "field_reports_create",
    "field_reports_validate",
    "framework_export",
    "framework_import",
    "indicator_update_settings",
    "indicator_upsert",
    "report_score",
    "reports_score",
    "reports_sweep",
    "reports_waiting_score",
    "risk_rebuild",
    "risk_recompute",
    "risk_record",
    "scoring_config",
    "scoring_wake",
    "scoring_wake_forget",
    "state_invalidate",
]
