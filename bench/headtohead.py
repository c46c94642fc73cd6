"""Head-to-head: `threatgraph coordination` (run_coordination) vs coordination-network-toolkit.

Same input, min participation 1, undirected account pairs, self-pairs dropped.
Mapping of a share export (object_id, account_id, content_id, timestamp_share) to the
toolkit's CSV (message_id, user_id, username, repost_id, reply_id, message, timestamp, urls):
repost_id = object_id (the thing co-shared), user_id = username = account_id,
message_id = the row number (the toolkit keeps only the first row of a message_id,
`insert or ignore`), timestamp = timestamp_share; its `co_retweet` network is then the
co-share network. Rows whose object_id equals their content_id are left out of the
toolkit input: CooRTweet never pairs them (loop removal), the toolkit would.
"""
from __future__ import annotations

import csv
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .sampler import RssSampler, mib


def say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def toolkit_bin() -> str:
    exe = Path(sys.executable).with_name("compute_networks")
    if exe.exists():
        return str(exe)
    found = shutil.which("compute_networks")
    if not found:
        raise RuntimeError("coordination-network-toolkit is not installed (pip install coordination-network-toolkit==1.5.2)")
    return found


def to_toolkit_csv(shares_csv: Path, out_csv: Path) -> int:
    n = 0
    with open(shares_csv, newline="", encoding="utf-8") as fin, open(out_csv, "w", newline="", encoding="utf-8") as fout:
        r = csv.DictReader(fin)
        w = csv.writer(fout)
        w.writerow(["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"])
        for i, row in enumerate(r):
            if row["object_id"] == row["content_id"]:
                continue
            w.writerow([i, row["account_id"], row["account_id"], row["object_id"], "", "", row["timestamp_share"], ""])
            n += 1
    return n


def _undirected(pairs) -> set[tuple[str, str]]:
    return {(a, b) if a < b else (b, a) for a, b in pairs if a != b}


def run_toolkit(shares_csv: Path, work: Path, time_window: int, sampler: RssSampler, n_cpus: int) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    db = work / "toolkit.db"
    db.unlink(missing_ok=True)
    tk_csv = work / "toolkit_input.csv"
    t = time.perf_counter()
    rows = to_toolkit_csv(shares_csv, tk_csv)
    convert_s = time.perf_counter() - t
    exe = toolkit_bin()
    timings = {}
    tw0 = time.time()
    for step, args in (("preprocess", ["preprocess", "--format", "csv", str(tk_csv)]),
                       ("compute", ["compute", "co_retweet", "--time_window", str(time_window),
                                    "--min_edge_weight", "1", "--n_cpus", str(n_cpus)])):
        t = time.perf_counter()
        p = subprocess.run([exe, str(db), *args], capture_output=True, text=True)
        timings[step] = round(time.perf_counter() - t, 3)
        if p.returncode != 0:
            raise RuntimeError(f"toolkit {step} failed ({p.returncode}): {p.stderr[-2000:]}")
    peak = sampler.peak_children(tw0, time.time())
    con = sqlite3.connect(str(db))
    try:
        raw = con.execute("SELECT user_1, user_2 FROM co_retweet_network").fetchall()
    finally:
        con.close()
    pairs = _undirected((str(a), str(b)) for a, b in raw)
    return {"seconds": round(sum(timings.values()), 3), **{f"{k}_seconds": v for k, v in timings.items()},
            "convert_seconds": round(convert_s, 3), "input_rows": rows, "raw_rows": len(raw),
            "pairs": pairs, "peak_rss_mib": mib(peak), "n_cpus": n_cpus}


def run_threatgraph(shares_csv: Path, work: Path, time_window: int, sampler: RssSampler) -> dict:
    import duckdb

    from orchestration.coordination import run_coordination

    out = work / "threatgraph"
    tw0, t = time.time(), time.perf_counter()
    base = sampler.sample()[1]
    res = run_coordination(shares_csv, time_window, 1, out)
    seconds = time.perf_counter() - t
    peak = sampler.peak_self(tw0, time.time())
    raw = duckdb.connect().execute(f"SELECT account_id, account_id_y FROM read_parquet('{out / 'edges.parquet'}')").fetchall()
    return {"seconds": round(seconds, 3), "raw_rows": len(raw), "share_pairs": res["pairs"],
            "pairs": _undirected((str(a), str(b)) for a, b in raw),
            "peak_rss_mib": mib(peak), "rss_before_mib": mib(base),
            "note": "in-process; peak is of the harness process (baseline rss_before included)"}


def compare(name: str, shares_csv: Path, work: Path, time_window: int, sampler: RssSampler, n_cpus: int) -> dict:
    import duckdb

    stats = duckdb.connect().execute(f"""SELECT count(*), count(DISTINCT account_id), count(DISTINCT object_id)
                          FROM read_csv('{shares_csv}', all_varchar=true)""").fetchone()
    say(f"head-to-head {name}: {stats[0]:,} shares, {stats[1]:,} accounts, window {time_window}s: threatgraph ...")
    tg = run_threatgraph(shares_csv, work, time_window, sampler)
    say(f"head-to-head {name}: threatgraph {tg['seconds']:.2f}s, {len(tg['pairs']):,} pairs; toolkit ...")
    tk = run_toolkit(shares_csv, work, time_window, sampler, n_cpus)
    say(f"head-to-head {name}: toolkit {tk['seconds']:.2f}s, {len(tk['pairs']):,} pairs")
    a, b = tg.pop("pairs"), tk.pop("pairs")
    both = len(a & b)
    union = len(a | b)
    only_tg, only_tk = sorted(a - b), sorted(b - a)
    return {
        "dataset": name, "input": str(shares_csv), "shares": stats[0], "accounts": stats[1], "objects": stats[2],
        "time_window": time_window, "min_participation": 1,
        "threatgraph": tg, "toolkit": tk,
        "ratio_toolkit_over_threatgraph": round(tk["seconds"] / tg["seconds"], 2) if tg["seconds"] else None,
        "pairs_threatgraph": len(a), "pairs_toolkit": len(b), "pairs_both": both,
        "only_threatgraph": len(only_tg), "only_toolkit": len(only_tk),
        "jaccard": round(both / union, 6) if union else 1.0,
        "identical": a == b,
        "examples_only_threatgraph": [list(p) for p in only_tg[:5]],
        "examples_only_toolkit": [list(p) for p in only_tk[:5]],
    }


def synth_shares(path: Path, n_shares: int, seed: int = 0, days: int = 7, n_groups: int | None = None) -> dict:
    """A share export of `n_shares` rows: organic sharing (Zipf-like accounts and objects, diurnal-free
    uniform times) plus planted coordinated groups sharing the same objects within seconds."""
    rng = np.random.default_rng(seed)
    n_accounts = max(n_shares // 8, 100)
    n_objects = max(n_shares // 5, 50)
    span = days * 86400
    t0 = 1_793_000_000
    n_groups = n_groups if n_groups is not None else max(n_shares // 20_000, 1)
    group_size, group_objects = 12, 25
    n_planted = n_groups * group_size * group_objects
    n_org = max(n_shares - n_planted, 0)
    acc_w = 1.0 / np.arange(1, n_accounts + 1) ** 0.8
    obj_w = 1.0 / np.arange(1, n_objects + 1) ** 0.9
    acc = rng.choice(n_accounts, size=n_org, p=acc_w / acc_w.sum())
    obj = rng.choice(n_objects, size=n_org, p=obj_w / obj_w.sum())
    ts = t0 + rng.integers(0, span, size=n_org)
    accs, objs, tss = [acc], [obj], [ts]
    for g in range(n_groups):
        members = rng.choice(n_accounts, size=group_size, replace=False)
        targets = rng.choice(n_objects, size=group_objects, replace=False)
        starts = t0 + rng.integers(0, span, size=group_objects)
        accs.append(np.tile(members, group_objects))
        objs.append(np.repeat(targets, group_size))
        tss.append(np.repeat(starts, group_size) + rng.integers(0, 30, size=group_size * group_objects))
    acc, obj, ts = np.concatenate(accs), np.concatenate(objs), np.concatenate(tss)
    order = np.argsort(ts, kind="stable")
    acc, obj, ts = acc[order], obj[order], ts[order]
    import polars as pl

    pl.DataFrame({
        "object_id": pl.Series([f"o{x}" for x in obj.tolist()]),
        "account_id": pl.Series([f"a{x}" for x in acc.tolist()]),
        "content_id": pl.Series([f"c{i}" for i in range(len(ts))]),
        "timestamp_share": ts,
    }).write_csv(path)
    return {"shares": int(len(ts)), "accounts": n_accounts, "objects": n_objects, "planted_groups": n_groups}
