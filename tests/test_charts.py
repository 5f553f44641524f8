"""The SVG charts alone: parseable, accessible, every value written on the chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from balie.reports.charts import Point, bar_chart, column_chart

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_bar_chart_is_labelled_svg_with_a_bar_and_value_per_item() -> None:
    svg = bar_chart(
        "g",
        title="Goodwill <per> agent",
        desc="Totals & more",
        points=[Point("Anna", 50.0), Point("Bram", 25.0)],
    )
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "g-title g-desc"
    assert root.findtext(f"{SVG}title") == "Goodwill <per> agent"
    assert root.findtext(f"{SVG}desc") == "Totals & more"
    bars = root.findall(f"{SVG}rect")
    assert len(bars) == 2
    # The longest value gets the longest bar; the other is in proportion.
    assert float(bars[0].get("width", "0")) == 2 * float(bars[1].get("width", "0"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["Anna", "50", "Bram", "25"]
    assert "style=" not in svg and "<script" not in svg


def test_labels_from_customers_and_agents_are_escaped() -> None:
    svg = bar_chart("x", title="t", desc="d", points=[Point('<script>"a"</script>', 1)])
    root = _parse(svg)
    assert root.find(f".//{SVG}script") is None
    assert next(t.text for t in root.iter(f"{SVG}text")) == '<script>"a"</script>'
    assert "<script>" not in svg


def test_column_chart_draws_a_gap_for_days_without_a_value() -> None:
    points = [Point("1 dec", 10.0), Point("2 dec", None), Point("3 dec", 5.5)]
    svg = column_chart("d", title="Per day", desc="Median minutes", points=points)
    root = _parse(svg)
    bars = root.findall(f"{SVG}rect")
    assert len(bars) == 2
    assert [b.findtext(f"{SVG}title") for b in bars] == ["1 dec: 10", "3 dec: 5.5"]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "10" in texts and "5.5" in texts
    assert {"1 dec", "2 dec", "3 dec"} <= set(texts)


def test_column_chart_of_a_year_writes_only_some_day_labels() -> None:
    points = [Point(f"day {n}", float(n)) for n in range(366)]
    root = _parse(column_chart("y", title="Year", desc="All days", points=points))
    labels = [t for t in root.iter(f"{SVG}text") if t.get("class") == "label"]
    assert len(root.findall(f"{SVG}rect")) == 366
    assert 10 <= len(labels) <= 14
    # Columns this thin carry their value in a tooltip (and the table), not as text.
    assert not [t for t in root.iter(f"{SVG}text") if t.get("class") == "value"]


def test_charts_with_nothing_to_show_are_still_valid() -> None:
    assert _parse(bar_chart("e", title="t", desc="d", points=[])).findall(f"{SVG}rect") == []
    root = _parse(column_chart("e", title="t", desc="d", points=[Point("1", 0.0)]))
    assert root.findtext(f"{SVG}title") == "t"
