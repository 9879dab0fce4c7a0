"""Reads of the alerts app (alerts/selectors.py): the assignments a user may see, in one query."""

from __future__ import annotations

from alerts.selectors import assignments_visible
from alerts.services import alert_assign


def test_assignments_visible_needs_no_query_per_row(cast, raised, django_assert_max_num_queries):
    alert, _ = raised
    police = alert_assign(alert=alert, user=cast.coordinator, organisation=cast.police, note="Weapons seen.")
    assert [a.organisation.code for a in assignments_visible(cast.police_user)] == ["police"]
    assert police in assignments_visible(cast.coordinator)
    with django_assert_max_num_queries(1):
        rows = [(a.alert.community.name, a.organisation.name, a.overdue) for a in assignments_visible(cast.coordinator)]
    assert len(rows) == 2
    assert not assignments_visible(cast.analyst).exists()
