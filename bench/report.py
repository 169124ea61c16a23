"""bench/RESULTS.md from the figures `make bench` collected (var/bench/results.json)."""

import statistics
from pathlib import Path

CHANGES = Path(__file__).with_name("changes.md")
QUERY_BUDGET = 12
FANOUT_TARGET = 0.7
DASHBOARD_GROWTH = 1.3
SEED_MINUTES, WALL_MINUTES = 5, 15


def _ms(value) -> str:
    return "—" if value is None else f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _ratio(value) -> str:
    return "—" if value is None else f"{value:.2f}×"


def _met(ok: bool | None) -> str:
    return "—" if ok is None else "met" if ok else "**missed**"


def _page_ratios(row: dict) -> dict:
    page, bare = row["page_figures"], row["bare_figures"]
    return {
        "p50": page["p50_ms"] / bare["p50_ms"],
        "p95": page["p95_ms"] / bare["p95_ms"],
        "p99": page["p99_ms"] / bare["p99_ms"],
        "throughput": page["rps"] / bare["rps"],
    }


def markdown(figures: dict) -> str:
    pages = figures["pages"]
    by_name = {(row["page"], row["size"]): row for row in pages}
    lines = [
        "# `make bench` results",
        "",
        f"Run {figures['started_at'][:16].replace('T', ' ')} UTC; "
        f"**{figures['wall_seconds'] / 60:.1f} min** from start to this file "
        f"(target under {WALL_MINUTES} min, including seeding on a fresh database).",
        f"Scale: {_scale(figures['scale'])}. Written by `make bench` (bench/run.py); "
        "raw figures in var/bench/results.json.",
        "",
        "## Targets (issue 13)",
        "",
        "| page / job | measured | target | |",
        "|---|---|---|---|",
    ]
    for row in pages:
        if row["target"] is None:
            continue
        ratio = _page_ratios(row)["p95"]
        lines.append(
            f"| {row['page']}, {row['size']} | p95 {_ratio(ratio)} B0 | "
            f"≤ {row['target']}× | {_met(ratio <= row['target'])} |"
        )
    small, large = (
        by_name.get(("Dashboard", "5 patients")),
        by_name.get(("Dashboard", "100 patients")),
    )
    if small and large:
        growth = large["page_figures"]["p95_ms"] / small["page_figures"]["p95_ms"]
        lines.append(
            f"| Dashboard, 100 ÷ 5 patients | p95 {_ratio(growth)} | ≤ {DASHBOARD_GROWTH}× | "
            f"{_met(growth <= DASHBOARD_GROWTH)} |"
        )
    for delivery in figures["fanout"]:
        ratio, outbox = _fanout_ratio(delivery), delivery["outbox"]
        clean = outbox["lost"] == 0 and outbox["duplicates"] == 0
        missing = "not arrived when the bench stopped waiting" if outbox["cut_off"] else "lost"
        lines.append(
            f"| Reminder fan-out, {delivery['emails']:,} emails | {_ratio(ratio)} Bsmtp; "
            f"{outbox['lost']} {missing}, {outbox['duplicates']} doubled | ≥ {FANOUT_TARGET}×, "
            f"none lost or doubled | {_met(ratio >= FANOUT_TARGET and clean)} |"
        )
    counts = figures["queries"]
    flat = all(row["small"] == row["large"] for row in counts)
    worst = max(counts, key=lambda row: row["large"])
    lines.append(
        f"| Query counts | {'flat' if flat else 'not flat'} at both sizes; most "
        f"{worst['large']} ({worst['page']}) | flat, each ≤ {QUERY_BUDGET} | "
        f"{_met(flat and worst['large'] <= QUERY_BUDGET)} |"
    )
    seeded = _seed_minutes(figures["seed"])
    lines.append(
        f"| Seeding {_scale(figures['scale'])} | "
        + (f"{seeded:.1f} min | ≤ {SEED_MINUTES} min | {_met(seeded <= SEED_MINUTES)} |"
           if seeded is not None else "reused from an earlier run | ≤ 5 min | — |")
    )  # fmt: skip
    lines.append(
        f"| `make bench`, start to finish | {figures['wall_seconds'] / 60:.1f} min | "
        f"< {WALL_MINUTES} min | {_met(figures['wall_seconds'] < WALL_MINUTES * 60)} |"
    )

    lines += [
        "",
        "## Pages against the bare view (B0)",
        "",
        f"gunicorn, {figures['web_workers']} sync workers, DEBUG off; "
        f"{figures['web_workers']} requests in flight. Times in ms; n is the number of "
        "requests measured for the page (B0 has its own, in the blocks between).",
        "",
        "| page | size | n | p50 | p95 | p99 | req/s | B0 p50 | B0 p95 | B0 p99 | B0 req/s "
        "| p50 ÷ B0 | p95 ÷ B0 | p99 ÷ B0 | req/s ÷ B0 | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in pages:
        page, bare, ratio = row["page_figures"], row["bare_figures"], _page_ratios(row)
        lines.append(
            f"| {row['page']} | {row['size']} | {page['n']} | {_ms(page['p50_ms'])} | "
            f"{_ms(page['p95_ms'])} | {_ms(page['p99_ms'])} | {page['rps']:.1f} | "
            f"{_ms(bare['p50_ms'])} | {_ms(bare['p95_ms'])} | {_ms(bare['p99_ms'])} | "
            f"{bare['rps']:.1f} | {_ratio(ratio['p50'])} | {_ratio(ratio['p95'])} | "
            f"{_ratio(ratio['p99'])} | {_ratio(ratio['throughput'])} | "
            f"{page['errors'] + bare['errors']} |"
        )
    errors = [e for row in pages for e in row["page_figures"]["first_errors"]]
    if errors:
        lines += ["", "First errors: " + "; ".join(errors[:5])]

    lines += [
        "",
        "### CPU per request (for docs/capacity.md)",
        "",
        "CPU time the gunicorn workers and the PostgreSQL processes serving them used "
        "during the page's blocks, divided by its requests: what a request costs whatever "
        "else the machine is doing, so its ratio to B0's is the steadiest figure here. "
        "Requests per second per core = 1000 ÷ (web + database).",
        "",
        "| page | size | web CPU ms | database CPU ms | requests/s per core "
        "| B0 web + database CPU ms | CPU ÷ B0 |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in pages:
        page, bare = row["page_figures"], row["bare_figures"]
        cost, bare_cost = _cpu_ms(page), _cpu_ms(bare)
        lines.append(
            f"| {row['page']} | {row['size']} | {_ms(page.get('web_cpu_ms'))} | "
            f"{_ms(page.get('database_cpu_ms'))} | "
            f"{'—' if not cost else f'{1000 / cost:.0f}'} | {_ms(bare_cost)} | "
            f"{_ratio(cost / bare_cost if cost and bare_cost else None)} |"
        )

    lines += [
        "",
        "## Queries per request",
        "",
        "Counted in the bench process through the same middleware (session, user and "
        "all), one signed-in request each.",
        "",
        "| page | smaller | queries | larger | queries | flat | ≤ 12 |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in counts:
        lines.append(
            f"| {row['page']} | {row['small_size'] or '—'} | "
            f"{row['small'] if row['small_size'] else '—'} | {row['large_size']} | "
            f"{row['large']} | {'yes' if row['small'] == row['large'] else '**no**'} | "
            f"{'yes' if row['large'] <= QUERY_BUDGET else '**no**'} |"
        )

    lines += [
        "",
        "## Reminder fan-out",
        "",
        "Appointment reminders due at once, sent by the Celery worker "
        f"({figures['worker_processes']} processes, Celery's default of one per core) "
        "through the outbox dispatcher (the kind's own rendering, with its .ics) to the "
        "SMTP sink; Bsmtp sends a copy of one such rendered reminder per message with plain "
        "`smtplib` over one connection, just before and just after. The sink counts "
        "arrivals per outbox row (header X-Between-Sessions-Message) and Message-IDs.",
        "",
        "| emails | outbox: seconds | emails/s | Bsmtp emails/s (before, after) | ÷ Bsmtp | "
        "arrived | lost | doubled | distinct Message-IDs | outbox rows by status |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for delivery in figures["fanout"]:
        outbox = delivery["outbox"]
        bsmtp = ", ".join(f"{d['per_second']:.0f}" for d in delivery["bsmtp"])
        lines.append(
            f"| {delivery['emails']:,} | {outbox['seconds']:.1f} | {outbox['per_second']:.0f} | "
            f"{bsmtp} | {_ratio(_fanout_ratio(delivery))} | {outbox['delivered']:,} | "
            f"{outbox['lost']} | {outbox['duplicates']} | {outbox['distinct_message_ids']:,} | "
            f"{', '.join(f'{k} {v:,}' for k, v in sorted(outbox['statuses'].items()))} |"
        )

    for delivery in figures["fanout"]:
        cpu = delivery["outbox"].get("cpu_ms_per_email") or {}
        if cpu:
            per_core = 1000 / sum(cpu.values())
            lines.append(
                f"\nCPU per email, {delivery['emails']:,}: worker {cpu['worker']:.1f} ms, "
                f"database {cpu['database']:.1f} ms; {per_core:.0f} emails/s per core."
            )
    if any(delivery["outbox"]["cut_off"] for delivery in figures["fanout"]):
        lines += [
            "",
            "A fan-out still sending when the run's time budget ran out was stopped there: "
            "its missing emails had not arrived yet (rows pending or sending), and its rate "
            "counts the emails that had.",
        ]
    rss = figures["peak_rss_mb"]
    lines += [
        "",
        "## Peak memory (resident, VmHWM)",
        "",
        f"- Web (gunicorn master and workers): {_mb_list(rss['web_processes'])}",
        f"- Worker (Celery main process and pool child): {_mb_list(rss['worker_processes'])}",
        "",
        "## Machine",
        "",
    ]
    machine = figures["machine"]
    lines += [
        f"- {machine['cpu']}, {machine['cores']} cores, {machine['memory_mb']:,} MB; "
        f"{machine['os']}; load average at start "
        f"{', '.join(f'{v:.2f}' for v in machine['load_average_at_start'])}",
        f"- Python {machine['python']}, Django {machine['Django']}, gunicorn "
        f"{machine['gunicorn']}, Celery {machine['celery']}, aiosmtpd {machine['aiosmtpd']}",
        f"- PostgreSQL {machine['postgresql']} (bench database {machine['database_size']}), "
        f"Redis {machine['redis']}",
        "- Largest tables (rows; size with indexes; bytes a row): "
        + "; ".join(
            f"{name} {rows:,}; {size / 2**20:,.0f} MB; {size / max(rows, 1):,.0f} B"
            for name, rows, size in machine.get("largest_tables", [])
        ),
        "- Seeding: " + " / ".join(figures["seed"]["output"][-1:]),
        "",
    ]
    if CHANGES.exists():
        lines += [CHANGES.read_text().strip(), ""]
    lines += [
        "## How it is measured",
        "",
        "See bench/README.md. In short: each page alternates with B0 (a bare `ok` view "
        "behind the same middleware, requested with the same person's cookies) in blocks "
        "of equal length, so a busy machine slows both and the ratios hold; the ratio "
        "columns are the page's figure divided by B0's from the same blocks.",
        "",
    ]
    return "\n".join(lines)


def _scale(scale: dict) -> str:
    return (
        f"{scale['patients']:,} patients × {scale['days']} days "
        f"({scale['patients'] // scale['per_therapist']} therapists × {scale['per_therapist']}, "
        f"and {scale['small_patients']} patients × {scale['small_days']} days)"
    )


def _seed_minutes(seed: dict) -> float | None:
    """Minutes seeding took in this run, or None when stored data was reused."""
    if any("reused" in line for line in seed["output"]):
        return None
    return seed["seconds"] / 60


def _cpu_ms(figures: dict) -> float | None:
    """Web and database CPU ms per request, when both were measured."""
    web, database = figures.get("web_cpu_ms"), figures.get("database_cpu_ms")
    return None if web is None or database is None else web + database


def _fanout_ratio(delivery: dict) -> float:
    bsmtp = statistics.fmean(d["per_second"] for d in delivery["bsmtp"])
    return delivery["outbox"]["per_second"] / bsmtp


def _mb_list(values: list[float]) -> str:
    if not values:
        return "not measured"
    return f"{max(values):.0f} MB at most per process ({', '.join(f'{v:.0f}' for v in values)})"
