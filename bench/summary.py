"""The issue's targets against the last ``make bench`` run: one table from the JSON files
the benchmarks wrote (bench/results/), also written as bench/results/summary.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
LARGE = 3_000_000  # customers: about 10.4 million orders
LOAD = 300_000  # customers of the load benchmark's shop: about 1 million orders


def read(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def rows() -> list[tuple[str, str, str]]:
    """(target, measured, verdict) for each target the benchmarks check."""
    found: list[tuple[str, str, str]] = []
    ingest, pages, clv = read(f"ingest-{LARGE}"), read(f"pages-{LARGE}"), read("clv")
    if ingest and ingest["targets"]:
        ours, pandas = "LoyaltyLens ingest", "pandas read_csv + to_datetime"
        seconds, peak = ingest["median_seconds"][ours], ingest["peak_rss_mb"][ours]
        found += [
            (f"ingest {ingest['orders']:,} orders under 15 s",
             f"{seconds:.1f} s (pandas {ingest['median_seconds'][pandas]:.1f} s)",
             ingest["targets"]["ingest under 15 s"]),
            ("ingest peak memory under 3 GB", f"{peak:,.0f} MB (pandas "
             f"{ingest['peak_rss_mb'][pandas]:,.0f} MB)",
             ingest["targets"]["peak memory under 3 GB"])]
    if pages and pages["targets"]:
        times = pages["median_seconds"]
        ours = times["LoyaltyLens: KPIs + cohorts + lifecycle"]
        floor = times["floor: one DuckDB GROUP BY scan"]
        found += [
            (f"Overview + Retention recompute, {pages['orders']:,} orders, under 1.5 s",
             f"{ours:.2f} s (pandas {times['pandas: the same numbers']:.1f} s)",
             pages["targets"]["recompute under 1.5 s"]),
            ("... within 3x the one-scan floor", f"{ours / floor:.1f}x ({floor:.3f} s scan)",
             pages["targets"]["recompute within 3x the scan"]),
            ("... peak memory under 3 GB", f"{pages['peak_rss_mb']['LoyaltyLens']:,.0f} MB "
             f"(pandas {pages['peak_rss_mb']['pandas']:,.0f} MB)",
             pages["targets"]["peak memory under 3 GB"]),
            ("cached recompute under 50 ms",
             f"{times['LoyaltyLens again, cached (dashboard)'] * 1000:.1f} ms",
             pages["targets"]["cached recompute under 50 ms"])]
    if clv:
        fit, summary = clv["fit"], clv["summary"]
        found += [
            (f"BG/NBD + Gamma-Gamma fit, {fit['customers']:,} customers, under 1 s",
             f"{fit['median_seconds']['LoyaltyLens BetaGeoModel + GammaGammaModel']:.2f} s",
             fit["targets"]["fit under 1 s"]),
            ("CLV customer summary at least 10x faster than lifetimes",
             f"{summary['speed_ratio_lifetimes_over_ours']:.1f}x",
             summary["targets"]["summary at least 10x faster than lifetimes"])]
    return found + drivers_rows() + load_rows() + cli_rows()


def drivers_rows() -> list[tuple[str, str, str]]:
    """The drivers benchmark's target: every segment column within 2 s at 10 million."""
    drivers = read(f"drivers-{LARGE}")
    if not drivers or not drivers["targets"]:
        return []
    times = drivers["median_seconds"]
    ours = times["LoyaltyLens drivers, every segment column"]
    floor = times["floor: one DuckDB GROUP BY scan"]
    return [(f"drivers, {len(drivers['segments'])} segment columns, {drivers['orders']:,} "
             f"orders, under {drivers['target_seconds']:.0f} s",
             f"{ours:.2f} s ({drivers['ratio_to_scan']:.0f}x the {floor:.2f} s scan)",
             next(iter(drivers["targets"].values())))]


def load_rows() -> list[tuple[str, str, str]]:
    """The load benchmark's targets: errors at every level, p95 at 20 sessions."""
    load = read(f"load-{LOAD}")
    if not load or not load["targets"]:
        return []
    errors = sum(level["errors"] for level in load["levels"])
    found = [("load: 0 errors at every level (1 to 20 sessions)", f"{errors} errors",
              load["targets"]["0 errors at every level"])]
    for views, limit in (("distinct", 20), ("shared", 3)):
        at_20 = [level for level in load["levels"]
                 if level["views"] == views and level["sessions"] == 20]
        p95s = [step["p95"] for level in at_20 for step in level["steps"].values()]
        worst = max((p for p in p95s if p is not None), default=None)
        name = "distinct views" if views == "distinct" else "one shared view"
        target = f"{name}, p95 at 20 sessions under {limit} s"
        found.append((f"load: {target}", "-" if worst is None else f"{worst:.1f} s (worst step)",
                      load["targets"][target]))
    return found


def cli_rows() -> list[tuple[str, str, str]]:
    """The CLI benchmark's targets: each command's start, kpis against the scan."""
    cli = read(f"cli-{LOAD}")
    if not cli:
        return []
    times = cli["median_seconds"]
    found = []
    for target, met in cli["targets"].items():
        command = target.split(" starts in")[0]
        measured = (f"{cli['kpis_over_scan']:.1f}x ({times['kpis, the shop']:.2f} s against "
                    f"{times['scan']:.2f} s)" if command not in times else
                    f"{times[command]:.2f} s")
        found.append((f"CLI: {target}", measured, met))
    return found


def main() -> None:
    table = rows()
    width = max((len(target) for target, _, _ in table), default=10) + 2
    print(f"\n{'target (issues 8, 16, 20)':<{width}}{'measured':<36}verdict")
    for target, measured, met in table:
        print(f"{target:<{width}}{measured:<36}{met}")
    (RESULTS / "summary.json").write_text(json.dumps(
        [{"target": target, "measured": measured, "verdict": met}
         for target, measured, met in table], indent=2))


if __name__ == "__main__":
    main()
