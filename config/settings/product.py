"""The product's own knobs (EWERS_*): scoring, alerts, routing, deadlines, limits."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config.settings.environment import (
    env,
    env_float,
    env_int,
    env_list,
)

# --- Scoring and alerts (docs/scoring.md explains each knob) -----------------------

EWERS_SCORE_SATURATION = env_float("EWERS_SCORE_SATURATION", 4.0, minimum=0.01)
try:
    EWERS_LEVEL_BANDS = tuple(float(b) for b in env_list("EWERS_LEVEL_BANDS", default="25,50,75"))
except ValueError:
    EWERS_LEVEL_BANDS = ()
if len(EWERS_LEVEL_BANDS) != 3 or not 0 < EWERS_LEVEL_BANDS[0] < EWERS_LEVEL_BANDS[1] < EWERS_LEVEL_BANDS[2] < 100:
    raise ImproperlyConfigured("EWERS_LEVEL_BANDS must be three rising scores within 0–100, e.g. 25,50,75.")
EWERS_LEVEL_HYSTERESIS = env_float("EWERS_LEVEL_HYSTERESIS", 5.0)
if EWERS_LEVEL_BANDS[0] <= EWERS_LEVEL_HYSTERESIS:
    raise ImproperlyConfigured("EWERS_LEVEL_HYSTERESIS must be below the lowest band of EWERS_LEVEL_BANDS.")
# Readings older than this are not read when a community is scored (they have faded).
EWERS_SCORING_WINDOW_DAYS = env_int("EWERS_SCORING_WINDOW_DAYS", 180, minimum=1)
# A report whose scoring failed this often is left for an operator (healthz counts it).
EWERS_SCORING_MAX_ATTEMPTS = env_int("EWERS_SCORING_MAX_ATTEMPTS", 5, minimum=1)
# A scoring task claims up to this many received reports, whole communities (the oldest first),
# and scores them in one transaction.
EWERS_SCORING_BATCH = env_int("EWERS_SCORING_BATCH", 1000, minimum=1)
# A scorer's claim on the reports it took lasts this long (as long as its task may run): then
# another scorer, or the sweep, may take them (a worker that vanished without its message).
EWERS_SCORING_LEASE_SECONDS = env_int("EWERS_SCORING_LEASE_SECONDS", 300, minimum=1)
# The sweep queues reports still unscored this long after they were received.
EWERS_SWEEP_AFTER_SECONDS = env_int("EWERS_SWEEP_AFTER_SECONDS", 60, minimum=1)
EWERS_SWEEP_BATCH = env_int("EWERS_SWEEP_BATCH", 500, minimum=1)
EWERS_SWEEP_REQUEUE_SECONDS = env_int("EWERS_SWEEP_REQUEUE_SECONDS", 600, minimum=1)
EWERS_ALERT_LEVEL = env.str("EWERS_ALERT_LEVEL", default="high").strip().lower()
if EWERS_ALERT_LEVEL not in {"moderate", "high", "critical"}:
    raise ImproperlyConfigured(f"EWERS_ALERT_LEVEL must be moderate, high or critical, got {EWERS_ALERT_LEVEL!r}.")
EWERS_ALERT_COOLDOWN_DAYS = env_float("EWERS_ALERT_COOLDOWN_DAYS", 7.0)
# A theme routes an alert only when it carries at least this share (0–1) of the alert's
# positive contribution, or a trigger at its critical threshold (docs/routing.md).
EWERS_ROUTE_MIN_SHARE = env_float("EWERS_ROUTE_MIN_SHARE", 0.2)
if not 0 <= EWERS_ROUTE_MIN_SHARE <= 1:
    raise ImproperlyConfigured("EWERS_ROUTE_MIN_SHARE must be a share between 0 and 1, e.g. 0.2.")
# Hours an organisation has to acknowledge an assignment, per alert level.
EWERS_ACK_HOURS = {
    "critical": env_float("EWERS_ACK_HOURS_CRITICAL", 1.0, minimum=0.01),
    "high": env_float("EWERS_ACK_HOURS_HIGH", 6.0, minimum=0.01),
    "moderate": env_float("EWERS_ACK_HOURS_MODERATE", 24.0, minimum=0.01),
}
# The address of this site, for the links in notification e-mails.
EWERS_SITE_URL = env.str("EWERS_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# A report with the same monitor, community and readings as another observed within this
# many minutes of it is flagged as a possible duplicate (an SMS and a web form, say).
EWERS_DUPLICATE_WINDOW_MINUTES = env_int("EWERS_DUPLICATE_WINDOW_MINUTES", 120, minimum=0)
# CSV import limits (page and API).
EWERS_IMPORT_MAX_BYTES = env_int("EWERS_IMPORT_MAX_BYTES", 2_000_000, minimum=1)
EWERS_IMPORT_MAX_ROWS = env_int("EWERS_IMPORT_MAX_ROWS", 5_000, minimum=1)
# Heatmap CSV export: a cell backed by fewer reports than this is left blank (do no harm).
EWERS_EXPORT_MIN_REPORTS = env_int("EWERS_EXPORT_MIN_REPORTS", 5, minimum=1)
# Learning (docs/learning.md): an alert is "followed by an incident" when one happens in its
# community within this many days of its opening; the same lead time counts an incident as
# "preceded by an alert" (precision and recall of the alerts).
EWERS_OUTCOME_DAYS = env_int("EWERS_OUTCOME_DAYS", 30, minimum=1)
# Surges: a community's readings of a theme over the last 7 days are a surge when they exceed
# this multiple of their weekly average over the 8 weeks before, and number at least the floor.
EWERS_SURGE_MULTIPLE = env_float("EWERS_SURGE_MULTIPLE", 2.0, minimum=1.0)
EWERS_SURGE_MIN_READINGS = env_int("EWERS_SURGE_MIN_READINGS", 5, minimum=1)
# Silence: a community that usually reports (at least this many reports a week on average
# over the 8 weeks before) and sent none for EWERS_STALE_DAYS is shown stale, not low.
EWERS_STALE_MIN_WEEKLY_REPORTS = env_float("EWERS_STALE_MIN_WEEKLY_REPORTS", 1.5, minimum=0.01)
EWERS_STALE_DAYS = env_int("EWERS_STALE_DAYS", 14, minimum=1)
# Surges, silence and forecasts as of now are kept in the cache this many seconds (0:
# computed on every page); a report written, a verification changed or a new score makes
# them current at once (learning/kept.py).
EWERS_DASHBOARD_CACHE_SECONDS = env_int("EWERS_DASHBOARD_CACHE_SECONDS", 60, minimum=0)
# Boundary import (docs/boundaries.md): the largest GeoJSON file, and the simplification
# tolerance in degrees of the drawn outline per level: country, region, district, community.
EWERS_BOUNDARY_MAX_BYTES = env_int("EWERS_BOUNDARY_MAX_BYTES", 200_000_000, minimum=1)
# The admin upload is read in a web request: far lower; larger files go through the
# import_boundaries command.
EWERS_BOUNDARY_ADMIN_MAX_BYTES = env_int("EWERS_BOUNDARY_ADMIN_MAX_BYTES", 20_000_000, minimum=1)
try:
    EWERS_OUTLINE_TOLERANCE = dict(
        zip(
            ("country", "region", "district", "community"),
            map(float, env_list("EWERS_OUTLINE_TOLERANCE", default="0.02,0.01,0.005,0.001")),
            strict=True,
        )
    )
except ValueError:
    EWERS_OUTLINE_TOLERANCE = {}
if len(EWERS_OUTLINE_TOLERANCE) != 4 or not all(0 <= t < 1 for t in EWERS_OUTLINE_TOLERANCE.values()):
    raise ImproperlyConfigured(
        "EWERS_OUTLINE_TOLERANCE must be four numbers of degrees in 0..1 (country, region, district, community)."
    )
# Retention (docs/operations.md, "Retention"): days each kind is kept, 0 for ever; and the
# most rows of each kind one run removes. Refused-access rows are kept at least 30 days
# (audit.seal.REFUSED_ACCESS_FLOOR_DAYS: the database refuses less).
EWERS_RETAIN_NARRATIVE_DAYS = env_int("EWERS_RETAIN_NARRATIVE_DAYS", 365)
EWERS_RETAIN_SOURCE_REFERENCE_DAYS = env_int("EWERS_RETAIN_SOURCE_REFERENCE_DAYS", 90)
EWERS_RETAIN_NOTIFICATION_DAYS = env_int("EWERS_RETAIN_NOTIFICATION_DAYS", 180)
EWERS_RETAIN_REFUSED_ACCESS_DAYS = env_int("EWERS_RETAIN_REFUSED_ACCESS_DAYS", 365)
if 0 < EWERS_RETAIN_REFUSED_ACCESS_DAYS < 30:
    raise ImproperlyConfigured("EWERS_RETAIN_REFUSED_ACCESS_DAYS must be 0 (for ever) or at least 30.")
EWERS_RETENTION_BATCH = env_int("EWERS_RETENTION_BATCH", 5000, minimum=1)
# Request bodies (API JSON, forms) above this answer 413; uploads go through the import limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=1024)
