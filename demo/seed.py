"""The demo deployment: a fictional country with partners, indicators and 90 days of reports.

Everything here is synthetic. No real place, boundary, organisation or person is
described: the country "Negara Harmoni" and its communities are invented, and the
boundaries are a jittered grid that tiles the map. The generator is deterministic
(a fixed random seed), and every object is keyed by a stable code, so seeding twice
gives the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from alerts.choices import AlertState, AssignmentState
from alerts.models import Assignment
from alerts.services import assignment_acknowledge, assignment_start, assignments_mark_overdue
from demo.catalogue import seed_catalogue
from demo.forecast import plan_build_up
from demo.learning import plan_learning_reports, plan_silence, seed_learning
from demo.partners import seed_organisations, seed_users
from demo.places import plan_places, seed_places
from demo.reports import plan_reports, seed_reports, seed_scores
from demo.sms import seed_sms
from demo.training import seed_training
from ewers.choices import Role
from ewers.models import User
from indicators.models import FieldReport

# Alerts raised longer ago than this have been taken up by their organisations in the demo;
# newer ones are left as they came (and may be overdue, as the sweep then marks them).
DEMO_WORKED_AFTER = timedelta(days=3)


def seed_response(*, now: datetime) -> int:
    """Play the partners' part in the demo's older alerts, so the desks show work under way.

    Each pending assignment of an alert opened before ``now - DEMO_WORKED_AFTER`` is
    acknowledged 40 minutes after it was made and started 4 hours after, by its
    organisation's first responder, through the same services the pages use. Then the
    overdue sweep runs once at ``now``, as beat would have. Safe to run again: worked
    assignments are no longer pending, and the sweep marks an assignment once.
    """
    worked = 0
    pending = (
        Assignment.objects.filter(
            state=AssignmentState.PENDING,
            alert__state=AlertState.OPEN,
            alert__opened_at__lt=now - DEMO_WORKED_AFTER,
        )
        .select_related("alert", "organisation")
        .order_by("created_at", "pk")
    )
    for assignment in pending:
        responder = (
            User.objects.filter(organisation=assignment.organisation, role=Role.RESPONDER, is_active=True)
            .order_by("pk")
            .first()
        )
        if responder is None:
            continue
        made = assignment.created_at
        assignment = assignment_acknowledge(assignment=assignment, user=responder, at=made + timedelta(minutes=40))
        assignment_start(assignment=assignment, user=responder, at=made + timedelta(hours=4))
        worked += 1
    assignments_mark_overdue(at=now)
    return worked


@dataclass
class SeedResult:
    regions: int
    indicators: int
    organisations: int
    users: int
    reports_created: int
    reports_total: int


@transaction.atomic
def seed_demo(*, now: datetime | None = None) -> SeedResult:
    """Create or bring up to date the whole demo deployment. Safe to run again.

    The places and reports are planned by pure functions (plan_places, plan_reports)
    and then written; a report already there (same ``demo-N`` key) is left as it is.
    """
    # The anchor is an hour back, rounded, so a report time is never "in the future".
    now = (now or timezone.now()).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    place_plan = plan_places()
    places = seed_places(place_plan)
    themes, indicators = seed_catalogue()
    organisations = seed_organisations(places, themes)
    users = seed_users(organisations)
    plan = plan_silence(plan_reports(place_plan, now=now) + plan_learning_reports(now=now), now=now)
    plan = plan_build_up(plan, now=now)
    created = seed_reports(plan, places, indicators, users)
    seed_scores(places, now=now)
    seed_response(now=now)
    seed_sms(users)
    seed_learning(places, users, now=now)
    seed_training(users, now=now)
    return SeedResult(
        regions=len(places),
        indicators=len(indicators),
        organisations=len(organisations),
        users=len(users),
        reports_created=created,
        reports_total=FieldReport.objects.filter(idempotency_key__startswith="demo-").count(),
    )
