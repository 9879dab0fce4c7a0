"""The heatmap as CSV for partners: aggregates only, small cells suppressed, formulas escaped.

One row per area: code, name, current score, level, one column per week, and a
"suppressed" column naming the cells left blank because fewer than k reports
(EWERS_EXPORT_MIN_REPORTS) stand behind them. docs/heatmap.md describes it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _

from analytics.heatmap import csv_number, csv_text, is_suppressed
from analytics.selectors import Heatmap


def heatmap_csv_rows(data: Heatmap, *, minimum: int) -> Iterator[list[str]]:
    """The header, then one row per area. A suppressed value is blank and named in the
    last column; an empty value with no note means there was nothing to show (no
    assessment). The level goes with the score: it would tell the score's band."""
    weeks = [week.isoformat() for week in data.weeks]
    yield ["code", "name", "score", "level", *weeks, "suppressed"]
    for i, area in enumerate(data.areas):
        hidden: list[str] = []
        row = data.matrix[i]
        withheld = {
            j for j, value in enumerate(row) if value is not None and is_suppressed(area.reports_by_week[j], minimum)
        }
        score, level = csv_number(area.score), area.level or ""
        # A week holding a member's latest assessment can show the score itself: the
        # score and those weeks are shown together or withheld together.
        if area.score is not None and (
            is_suppressed(area.reports_current, minimum) or withheld.intersection(area.score_weeks)
        ):
            score, level = "", ""
            hidden.append("score")
            withheld.update(j for j in area.score_weeks if row[j] is not None)
        cells = []
        for j, value in enumerate(row):
            if j in withheld:
                cells.append("")
                hidden.append(weeks[j])
            else:
                cells.append(csv_number(value))
        note = (_("fewer than %(k)d reports: ") % {"k": minimum}) + " ".join(hidden) if hidden else ""
        yield [csv_text(area.code), csv_text(area.name), score, level, *cells, csv_text(note)]


def heatmap_csv(data: Heatmap, *, minimum: int) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(heatmap_csv_rows(data, minimum=minimum))
    return buffer.getvalue()
