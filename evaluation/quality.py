"""Detection quality against a generated dataset's truth (never read by the pipeline).

Actor-level: an account is predicted positive when it is a member of a flagged
network. Precision and recall against the planted operations' members; recall
per operation and on evasive operations; the share of organic look-alike
accounts (fan clubs, households, carrier NAT, viral sharers, trending) flagged.
The baseline is single-signal CooRTweet co-sharing with a 60 s window and min
participation 2 over the same shares: every account in its network is flagged.

Precision of a method that flags nothing is undefined: None, printed "n/a" (not 1.0:
flagging nothing is no evidence of precise flags). Any summary over several runs
(mean_defined) averages the runs where it is defined and is None when none is; a
run with nothing flagged is neither counted as perfect nor as zero precision.

    threatgraph evaluate --seeds 1,2,3 [--accounts N] [--days D] [--work DIR]
    threatgraph evaluate --landing DIR --warehouse DIR    (an existing run)
"""
from __future__ import annotations

import argparse
import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

LOOKALIKE_KINDS = ("fan_club", "household", "carrier_nat", "viral", "trending")


@dataclass
class Scores:
    label: str
    flagged: int
    precision: float | None  # None when nothing is flagged (undefined)
    recall: float
    evasive_recall: float
    lookalike_flagged_share: float
    per_operation: dict[str, float]


def score(label: str, predicted: set[str], operations: list[dict], lookalikes: list[dict]) -> Scores:
    truth = {m for op in operations for m in op["members"]}
    evasive = {m for op in operations if op.get("evasive") for m in op["members"]}
    look = {m for g in lookalikes if g["kind"] in LOOKALIKE_KINDS for m in g["members"]} - truth
    tp = len(predicted & truth)
    return Scores(
        label=label,
        flagged=len(predicted),
        precision=tp / len(predicted) if predicted else None,
        recall=tp / len(truth) if truth else 1.0,
        evasive_recall=len(predicted & evasive) / len(evasive) if evasive else float("nan"),
        lookalike_flagged_share=len(predicted & look) / len(look) if look else 0.0,
        per_operation={f"{op['operation_id']}{' (evasive)' if op.get('evasive') else ''}":
                       len(predicted & set(op["members"])) / len(op["members"]) if op["members"] else float("nan")
                       for op in operations},
    )


def flagged_accounts(warehouse: Path) -> set[str]:
    """Raw account ids of members of flagged networks (resolved through the restricted identity map)."""
    con = duckdb.connect(str(warehouse / "serving" / "analytics.duckdb"), read_only=True)
    con.execute(f"ATTACH '{warehouse / 'restricted' / 'identity.duckdb'}' AS idn (READ_ONLY)")
    rows = con.execute("""
        SELECT DISTINCT i.account_id FROM network_members m JOIN networks n USING (network_id)
        JOIN idn.actor_identity i USING (actor_key) WHERE n.flagged""").fetchall()
    con.close()
    return {r[0] for r in rows}


def baseline_accounts(warehouse: Path, work: Path) -> set[str]:
    """CooRTweet co-sharing alone (60 s, min participation 2) on the run's shares and reposts."""
    from orchestration.coordination import run_coordination

    work.mkdir(parents=True, exist_ok=True)
    csv = work / "shares.csv"
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    con.execute(f"""COPY (SELECT video_id AS object_id, actor_key AS account_id, event_id AS content_id,
                                 CAST(epoch(event_time) AS BIGINT) AS timestamp_share
                          FROM staging.stg_events WHERE event_type IN ('share', 'repost') AND video_id IS NOT NULL
                          ORDER BY event_time, event_id) TO '{csv}' (HEADER)""")
    con.close()
    run_coordination(csv, 60, 2, work / "coortweet")
    e = duckdb.connect()
    keys = {r[0] for r in e.execute(f"""SELECT account_id FROM read_parquet('{work / 'coortweet' / 'edges.parquet'}')
                                        UNION SELECT account_id_y FROM read_parquet('{work / 'coortweet' / 'edges.parquet'}')""").fetchall()}
    icon = duckdb.connect(str(warehouse / "restricted" / "identity.duckdb"), read_only=True)
    mapping = dict(icon.execute("SELECT actor_key, account_id FROM actor_identity").fetchall())
    icon.close()
    return {mapping[k] for k in keys if k in mapping}


def evaluate_run(landing: Path, warehouse: Path) -> list[Scores]:
    operations = json.loads((landing / "_truth" / "operations.json").read_text())
    lookalikes = json.loads((landing / "_truth" / "lookalikes.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        base = baseline_accounts(warehouse, Path(tmp))
    return [score("threatgraph", flagged_accounts(warehouse), operations, lookalikes),
            score("baseline: co-sharing 60s", base, operations, lookalikes)]


def fmt_rate(value: float | None, digits: int = 3) -> str:
    """A rate for printing: "n/a" when undefined (None or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def mean_defined(values) -> float | None:
    """Mean of the defined values (None and NaN skipped); None when no value is defined."""
    defined = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return sum(defined) / len(defined) if defined else None


def format_table(rows: list[tuple[str, Scores]]) -> str:
    out = ["| seed | method | flagged accounts | precision | recall | evasive recall | look-alikes flagged |",
           "|---|---|---:|---:|---:|---:|---:|"]
    for seed, s in rows:
        out.append(f"| {seed} | {s.label} | {s.flagged} | {fmt_rate(s.precision)} | {fmt_rate(s.recall)} | "
                   f"{fmt_rate(s.evasive_recall)} | {100 * s.lookalike_flagged_share:.2f}% |")
    seeds = {seed for seed, _ in rows}
    if len(seeds) > 1:  # one mean row per method, over the seeds where each rate is defined
        for label in dict.fromkeys(s.label for _, s in rows):
            runs = [s for _, s in rows if s.label == label]
            out.append(f"| mean | {label} | {sum(s.flagged for s in runs) / len(runs):.1f} | "
                       f"{fmt_rate(mean_defined(s.precision for s in runs))} | {fmt_rate(mean_defined(s.recall for s in runs))} | "
                       f"{fmt_rate(mean_defined(s.evasive_recall for s in runs))} | "
                       f"{100 * sum(s.lookalike_flagged_share for s in runs) / len(runs):.2f}% |")
    return "\n".join(out)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--landing", type=Path, help="evaluate an existing run: its landing (with _truth/) ...")
    p.add_argument("--warehouse", type=Path, help="... and its warehouse")
    p.add_argument("--seeds", default="1,2,3", help="generate and run these seeds (comma-separated)")
    p.add_argument("--accounts", type=int, default=5000)
    p.add_argument("--days", type=int, default=3)
    p.add_argument("--work", type=Path, help="where generated runs go (default: a temporary folder)")
    p.add_argument("--graph-engine", choices=("auto", "spark", "local"), default="local")
    p.add_argument("--per-operation", action="store_true", help="also print recall per operation")


def run(args) -> int:
    rows: list[tuple[str, Scores]] = []
    if args.landing and args.warehouse:
        rows = [("-", s) for s in evaluate_run(args.landing, args.warehouse)]
    else:
        from generator import synth
        from orchestration.runner import run_pipeline

        work = args.work or Path(tempfile.mkdtemp(prefix="tg-eval-"))
        for seed in [int(s) for s in args.seeds.split(",") if s]:
            landing, warehouse = work / f"seed{seed}" / "landing", work / f"seed{seed}" / "warehouse"
            synth.generate(landing, days=args.days, accounts=args.accounts, seed=seed)
            if run_pipeline(landing, warehouse, None, None, args.graph_engine) != 0:
                print(f"seed {seed}: the run did not publish")
                return 1
            rows += [(str(seed), s) for s in evaluate_run(landing, warehouse)]
    print(format_table(rows))
    if args.per_operation:
        for seed, s in rows:
            print(f"\nseed {seed}, {s.label}: " + ", ".join(f"{k} {v:.2f}" for k, v in s.per_operation.items()))
    return 0
