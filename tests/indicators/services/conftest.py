"""A report graded A1 from the cast's analyst, for the scoring pipeline's tests (here and in
tests/alerts/services/)."""

from __future__ import annotations

from indicators.services import ReadingInput
from tests import factories


def report(cast, indicators, value=4, *, community=None, user=None, **kw):
    return factories.make_report(
        user or cast.analyst,
        community or cast.places["c1"],
        indicators[0],
        readings=[ReadingInput(indicator=i, value=value) for i in indicators],
        source_reliability="A",
        information_credibility=1,
        **kw,
    )
