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
        ratio = ingest.get("ratio_to_pandas", seconds / ingest["median_seconds"][pandas])
        found += [
            (f"ingest {ingest['orders']:,} orders (dataset usable) under 12 s",
             f"{seconds:.1f} s (pandas {ingest['median_seconds'][pandas]:.1f} s)",
             ingest["targets"].get("ingest under 12 s", "-")),
            ("... within 3x pandas read_csv + to_datetime", f"{ratio:.1f}x",
             ingest["targets"].get("ingest within 3x pandas", "-")),
            ("ingest peak memory under 3 GB", f"{peak:,.0f} MB (pandas "
             f"{ingest['peak_rss_mb'][pandas]:,.0f} MB)",
             ingest["targets"]["peak memory under 3 GB"])]
        found += ingest_ready_rows(ingest)
    if pages and pages["targets"]:
        times = pages["median_seconds"]
        ours = times["LoyaltyLens: KPIs + cohorts + lifecycle"]
        floor = times["floor: one DuckDB GROUP BY scan"]
        pandas = times.get("pandas: the same numbers")
        pandas_peak = pages["peak_rss_mb"].get("pandas")
        queries = times.get("LoyaltyLens without the page tables")
        cost = pages.get("page_tables_store_cost")
        found += [
            (f"Overview + Retention recompute, {pages['orders']:,} orders, under 1.5 s",
             f"{ours:.2f} s" + (f" (pandas {pandas:.1f} s)" if pandas is not None else ""),
             pages["targets"]["recompute under 1.5 s"]),
            ("... within 3x the one-scan floor", f"{ours / floor:.1f}x ({floor:.3f} s scan)",
             pages["targets"]["recompute within 3x the scan"]),
            ("... within 5x the one-scan floor (issue 22)", f"{ours / floor:.2f}x" + (
                f" (no page tables {queries / floor:.1f}x)" if queries else ""),
             pages["targets"].get("recompute within 5x the scan", "-")),
            ("... peak memory under 3 GB", f"{pages['peak_rss_mb']['LoyaltyLens']:,.0f} MB" + (
                f" (pandas {pandas_peak:,.0f} MB)" if pandas_peak is not None else ""),
             pages["targets"]["peak memory under 3 GB"]),
        ]
        if cost:
            found.append(("storing the page tables (reported, no target)",
                          f"{cost['seconds']:.1f} s ({cost.get('cpu_seconds', 0):.1f} s CPU), "
                          f"{cost['mb']:.1f} MB", "-"))
        found += [
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


def ingest_ready_rows(ingest: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The page tables built after the ingest (reported, no target), and the ingest
    against the code before it in the same run (BENCH_BEFORE)."""
    ready = ingest["median_seconds"].get("LoyaltyLens page tables ready")
    found = []
    if ready is not None:
        builder = ingest["peak_rss_mb"].get("LoyaltyLens page tables ready", 0)
        found.append(("... page tables ready after the ingest (reported, no target)",
                      f"{ready:.1f} s, builder {builder:,.0f} MB", "-"))
    before = ingest.get("ratio_to_before")
    if before:
        found.append(("... against the code before, same run (reported)",
                      f"usable {before['usable']:.2f}x, tables {before['ready']:.2f}x", "-"))
    return found


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
    errors = sum(level["errors"] for level in load["levels"]
                 if level.get("checkout", "this") == "this")
    found = [("load: 0 errors at every level (1 to 20 sessions)", f"{errors} errors",
              load["targets"]["0 errors at every level"])]
    for views, limit in (("distinct", 20), ("shared", 3)):
        at_20 = [level for level in load["levels"]
                 if level["views"] == views and level["sessions"] == 20
                 and level.get("checkout", "this") == "this"]  # not a compared checkout's
        # the server's p95 (all sessions) and the returning visit's to render, as
        # bench.load judges (the first visit is printed beside, not judged)
        p95s = [step[p95] for level in at_20 for step in level["steps"].values()
                for p95 in ("server_p95", "returning_p95")]
        worst = max((p for p in p95s if p is not None), default=None)
        name = "distinct views" if views == "distinct" else "one shared view"
        target = f"{name}, p95 at 20 sessions under {limit} s"
        found.append((f"load: {target}", "-" if worst is None else f"{worst:.2f} s (worst step)",
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
    print(f"\n{'target (issues 8, 16, 20, 22)':<{width}}{'measured':<36}verdict")
    for target, measured, met in table:
        print(f"{target:<{width}}{measured:<36}{met}")
    (RESULTS / "summary.json").write_text(json.dumps(
        [{"target": target, "measured": measured, "verdict": met}
         for target, measured, met in table], indent=2))


if __name__ == "__main__":
    main()
