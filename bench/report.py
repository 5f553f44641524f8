"""Markdown tables from the JSON that ``bench/api.py --out FILE`` wrote.

.venv/bin/python bench/report.py /tmp/balie-bench/results/run.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def report(records: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    machine = next(r for r in records if r.get("kind") == "machine")
    summary = next(r for r in records if r.get("kind") == "summary")
    lines.append(
        f"Run {machine['date']}, {machine['nproc']} cores ({machine['cpu']}), Python "
        f"{machine['python']}, SQLite {machine['sqlite']}, Balie {machine['balie_commit']}; "
        f"peer: {machine['peer']}."
    )
    lines.append("")
    for backend, figures in summary["backends"].items():
        lines.append(f"### {backend}")
        lines.append("")
        lines.append(
            "| creation | concurrency | req/s (per round) | p50 ms | p95 ms | p99 ms "
            "| server CPU ms/req | errors |"
        )
        lines.append("|---|---:|---|---:|---:|---:|---:|---:|")
        for label, entry in figures.items():
            if not label.startswith("create-"):
                continue
            for system in ("balie", "django-helpdesk"):
                if system not in entry:
                    continue
                r = entry[system]
                rounds = ", ".join(str(x) for x in r["rps_per_round"])
                lines.append(
                    f"| {system} | {label.split('-c')[1]} | **{r['rps']}** ({rounds}) "
                    f"| {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} "
                    f"| {r['server_cpu_ms_per_request']} | {r['errors']} |"
                )
            if "speedup_rps" in entry:
                lines.append(f"| Balie / peer | | **{entry['speedup_rps']}x** | | | | | |")
        lines.append("")
        lines.append(
            "| read | concurrency | req/s | p50 ms | p95 ms | p99 ms | server CPU ms/req | errors |"
        )
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for label, r in figures.items():
            if label.startswith(("list-", "search-")):
                kind, concurrency = label.split("-c")
                cap = " (time cap)" if r["stopped_by_time_cap"] else ""
                lines.append(
                    f"| {kind} | {concurrency} | {r['rps']}{cap} | {r['p50_ms']} "
                    f"| {r['p95_ms']} | {r['p99_ms']} | {r['server_cpu_ms_per_request']} "
                    f"| {r['errors']} |"
                )
        lines.append("")
        for kind in ("list", "search"):
            per = next(
                (
                    r
                    for r in records
                    if r.get("kind") == f"{kind}-per-query" and r.get("backend") == backend
                ),
                None,
            )
            if per:
                slowest = sorted(per["ms"].items(), key=lambda kv: -kv[1])[:5]
                shown = "; ".join(f"`{q}` {ms} ms" for q, ms in slowest)
                lines.append(f"Slowest {kind} requests, each alone: {shown}.")
                lines.append("")
        aims = ", ".join(f"{k}: {'pass' if v else 'MISS'}" for k, v in figures["aims"].items())
        lines.append(f"Aims: {aims}.")
        lines.append("")
    preloads = [r for r in records if r.get("kind") == "preload"]
    for p in preloads:
        lines.append(
            f"Preload {p['backend']}: {p['conversations']:,} conversations, "
            f"{p['messages']:,} messages in {p['seconds']} s (when built; later runs reuse "
            f"the cache), database {p['database_bytes'] / 1e6:.0f} MB."
        )
    return "\n".join(lines)


def main() -> None:
    records = json.loads(Path(sys.argv[1]).read_text())
    print(report(records))


if __name__ == "__main__":
    main()
