"""The pure parts of reports: the period read from the filter, medians and percentiles,
and the CSV cells."""

from __future__ import annotations

import datetime as dt

import pytest

from balie.errors import InvalidInput
from balie.reports.csv_export import to_csv
from balie.reports.period import parse_filters
from balie.reports.stats import median, percentile

TODAY = dt.date(2026, 12, 1)


def _parse(**given: str | None) -> object:
    values: dict[str, str | None] = {
        "since": None,
        "until": None,
        "inbox_id": None,
        "agent_id": None,
    }
    values.update(given)
    return parse_filters(today=TODAY, **values)  # type: ignore[arg-type]


def test_default_period_is_the_last_30_days_up_to_today() -> None:
    f = parse_filters(since=None, until=None, inbox_id="", agent_id="", today=TODAY)
    assert (f.since, f.until) == (dt.date(2026, 11, 2), TODAY)
    assert len(f.days) == 30
    assert f.inbox_id is None and f.agent_id is None


def test_days_are_amsterdam_days_also_when_the_clocks_change() -> None:
    f = parse_filters(
        since="2026-10-25", until="2026-10-25", inbox_id=None, agent_id=None, today=TODAY
    )
    # Summer time ends that night: the day starts at 22:00 UTC and lasts 25 hours.
    assert f.start == dt.datetime(2026, 10, 24, 22, 0, tzinfo=dt.UTC)
    assert f.end - f.start == dt.timedelta(hours=25)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"since": "2026-11-31"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"since": "2026-11-10", "until": "2026-11-09"}, "until"),
        ({"since": "2025-01-01", "until": "2026-01-02"}, "since"),
        ({"inbox_id": "one"}, "inbox_id"),
        ({"agent_id": "-3"}, "agent_id"),
    ],
)
def test_bad_filters_name_their_field(given: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        _parse(**given)
    assert refused.value.data["field"] == field


def test_a_full_leap_year_is_allowed() -> None:
    f = parse_filters(
        since="2028-01-01", until="2028-12-31", inbox_id="7", agent_id=None, today=TODAY
    )
    assert len(f.days) == 366 and f.inbox_id == 7


def test_median_and_nearest_rank_percentile() -> None:
    assert median([]) is None and percentile([], 0.9) is None
    assert median([600.0, 1200.0]) == 900.0
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert percentile([600.0, 1200.0], 0.9) == 1200.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert percentile([7.0], 0.9) == 7.0


def test_csv_cells_that_a_spreadsheet_would_run_get_an_apostrophe() -> None:
    figures = {
        "answers": [
            {
                "conversation_id": 4,
                "score": 2,
                "answered_at": "2026-11-03T10:00:00+00:00",
                "prevention": '=HYPERLINK("http://evil.example")',
            },
            {"conversation_id": 5, "score": 5, "answered_at": None, "prevention": None},
        ]
    }
    lines = to_csv("satisfaction", figures).splitlines()
    assert lines[0] == "conversation_id,score,answered_at,prevention"
    assert lines[1] == '4,2,2026-11-03T10:00:00+00:00,"\'=HYPERLINK(""http://evil.example"")"'
    assert lines[2] == "5,5,,"
