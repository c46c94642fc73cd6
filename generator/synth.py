"""Synthetic platform logs following shared/contract, with planted operations and ground truth.

Public API: add_arguments(parser), run(args) -> int, generate(landing, ...) -> dict.
Deterministic: every random draw comes from numpy Generators seeded from (seed, stream, day).
"""
from __future__ import annotations

import argparse
import gzip
import shutil
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import orjson

from . import vocab
from .corrupt import Corruptor
from .model import (COMMENT, EMPTY, EVENT_TYPES, FOLLOW, LIKE, POST, REPOST, SHARE, UNFOLLOW, Batch,
                    Catalog)
from .operations import (TACTICS, fanclub_day, operation_day, plan_fanclubs, plan_operations,
                         viral_day)
from .population import (DAY, HOUR, MINUTE, NEVER, World, build_infrastructure, build_world,
                         snowflake, unique_snowflake)

SOURCES = ("accounts", "events", "sessions", "enforcement")
DIURNAL = np.array([3, 2, 1.2, 0.8, 0.6, 0.7, 1.2, 2.2, 3.2, 3.6, 3.8, 4.2, 5.0, 5.0, 4.5, 4.4,
                    4.8, 5.4, 6.2, 7.0, 7.6, 7.4, 6.2, 4.6])
DIURNAL = DIURNAL / DIURNAL.sum()
TYPE_P_VIEWER = np.array([0.04, 0.12, 0.55, 0.08, 0.04, 0.14, 0.03])
TYPE_P_CREATOR = np.array([0.22, 0.12, 0.40, 0.06, 0.04, 0.13, 0.03])
SHARE_CH = vocab.SHARE_CHANNELS
LOGIN = ("token", "password", "sms", "sso")
COUNTRY_CODES = tuple(c[0] for c in vocab.COUNTRIES)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--landing", required=True, type=Path, help="landing folder to write")
    parser.add_argument("--days", type=int, default=3, help="number of daily partitions")
    parser.add_argument("--accounts", type=int, default=5000, help="number of accounts")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 11, 1),
                        help="first partition day, YYYY-MM-DD")
    parser.add_argument("--corrupt-rate", type=float, default=0.0, dest="corrupt_rate",
                        help="fraction of extra malformed lines (0 = clean)")


def run(args) -> int:
    t0 = time.perf_counter()
    if args.days < 1 or args.accounts < 200 or not 0 <= args.corrupt_rate <= 1:
        print("error: need --days >= 1, --accounts >= 200 (the planted operations need a population) "
              "and --corrupt-rate in [0, 1]", file=sys.stderr)
        return 2
    s = generate(Path(args.landing), days=args.days, accounts=args.accounts, seed=args.seed,
                 start=args.start, corrupt_rate=args.corrupt_rate)
    dt = time.perf_counter() - t0
    lines = ", ".join(f"{k}={v}" for k, v in s["lines"].items())
    print(f"generated {s['files']} files in {args.landing} ({lines}); {s['operations']} operations, "
          f"{s['lookalikes']} look-alike groups, {sum(s['corrupt'].values())} corruptions; "
          f"{dt:.1f}s, {s['lines']['events'] / max(dt, 1e-9):,.0f} events/s")
    return 0


def _ts_list(ms: np.ndarray) -> list:
    return [s + "Z" for s in np.datetime_as_string(np.asarray(ms, dtype="int64").astype("datetime64[ms]"),
                                                   unit="ms").tolist()]


def _ts(ms: int) -> str:
    return _ts_list(np.array([ms]))[0]


class Writer:
    def __init__(self, landing: Path, corruptor: Corruptor):
        self.landing = landing
        self.c = corruptor
        self.files = 0
        self.lines = {s: 0 for s in SOURCES}
        self.records = {s: 0 for s in SOURCES}

    def write(self, source: str, dt: str, name: str, recs: list, gz: bool, day_start: int) -> list:
        folder = self.landing / source / f"dt={dt}"
        folder.mkdir(parents=True, exist_ok=True)
        fname = name + (".jsonl.gz" if gz else ".jsonl")
        rel = f"{source}/dt={dt}/{fname}"
        dumps = orjson.dumps
        # orjson's bytes keep a ~4 KiB buffer each: an exact-size copy cuts the generator's peak ~10x
        lines = [bytes(memoryview(dumps(r))) for r in recs]
        self.records[source] += len(lines)
        out = self.c.apply(source, rel, recs, lines, day_start)
        data = b"\n".join(out) + b"\n" if out else b""
        if gz:
            data = gzip.compress(data, compresslevel=1, mtime=0)
        (folder / fname).write_bytes(data)
        self.files += 1
        self.lines[source] += len(out)
        return lines

    def success(self, source: str, dt: str) -> None:
        (self.landing / source / f"dt={dt}" / "_SUCCESS").write_bytes(b"")


def _weighted_pick(rng, weights: np.ndarray, size: int) -> np.ndarray:
    cum = np.cumsum(weights)
    return np.minimum(np.searchsorted(cum, rng.random(size) * cum[-1], side="right"), len(weights) - 1)


def _profile(w: World, a: int, change: str, t: int, ts: str | None = None) -> dict:
    return {
        "account_id": w.ids[a], "event_time": ts or _ts(t), "change_type": change,
        "created_at": _ts(int(w.created_ms[a])), "username": w.username[a],
        "display_name": w.display_name[a], "bio": w.bio[a], "email_domain": w.email[a],
        "signup_country": COUNTRY_CODES[int(w.country[a])], "language": w.lang[a],
        "is_verified": bool(w.verified[a]), "signup_ip": w.signup_ip[a],
        "signup_device_id": w.signup_dev[a], "avatar_hash": w.avatar[a],
    }


def generate(landing: Path, days: int = 3, accounts: int = 5000, seed: int = 0,
             start: date = date(2026, 11, 1), corrupt_rate: float = 0.0) -> dict:
    landing = Path(landing)
    if days < 1 or accounts < 200:
        raise ValueError("need days >= 1 and accounts >= 200")
    for sub in SOURCES + ("reference", "_truth"):
        if (landing / sub).exists():
            shutil.rmtree(landing / sub)
    landing.mkdir(parents=True, exist_ok=True)
    start_ms = int(datetime(start.year, start.month, start.day, tzinfo=timezone.utc).timestamp() * 1000)

    def R(*k):
        return np.random.default_rng([seed, *k])

    rng = R(1)
    w = build_world(rng, accounts, start_ms, days)
    catalog = Catalog()
    srng = R(2)
    sound_w = []
    for i in range(1500):
        catalog.add_sound(srng)
        sound_w.append(1.0 / (i + 1) ** 1.1)
    ops = plan_operations(w, R(3), catalog)
    lookalikes: list[dict] = []
    build_infrastructure(w, R(4), lookalikes)
    clubs = plan_fanclubs(w, R(5))
    for ci, c in enumerate(clubs):
        lookalikes.append({"group_id": f"fan-club-{ci:03d}", "kind": "fan_club", "creator": w.ids[c.creator],
                           "members": [w.ids[a] for a in sorted([c.creator] + c.fans)]})
    _prewindow_videos(w, catalog, R(6))
    enforcement = _plan_enforcement(w, ops, clubs, R(7))
    n_viral = max(1, round(days / 3))
    viral_days = sorted(set(int(x) for x in np.linspace(0, days - 1, n_viral).round()))

    corruptor = Corruptor(seed, corrupt_rate)
    writer = Writer(landing, corruptor)
    session_seen: set = set()
    snapshot_day0 = set()
    for day in range(days):
        d0 = start_ms + day * DAY
        dt = (start + timedelta(days=day)).isoformat()
        drng = R(10, day)
        batch = Batch()
        trending_tags = [vocab.HASHTAGS[i] for i in drng.choice(len(vocab.HASHTAGS), 3, replace=False)]
        trending_sounds = [int(x) for x in drng.choice(60, 2, replace=False)]
        post_authors: dict[str, list] = {}
        org = _organic_posts(w, catalog, day, R(11, day), trending_tags, trending_sounds, sound_w, post_authors)
        if day in viral_days:
            vid, sharers = viral_day(w, catalog, day, R(12, day), batch)
            lookalikes.append({"group_id": f"viral-{dt}", "kind": "viral", "video_id": vid,
                               "members": [w.ids[a] for a in sorted(sharers)]})
        for club in clubs:
            fanclub_day(club, w, catalog, day, R(13, day, club.creator % 100000), batch)
        for o in ops:
            operation_day(o, w, catalog, day, R(14, day, o.idx), batch)
        eng = _organic_engagement(w, catalog, day, R(15, day))
        for tag in trending_tags:
            members = sorted(set(post_authors.get("#" + tag, [])))
            if members:
                lookalikes.append({"group_id": f"trending-{dt}-{tag}", "kind": "trending", "hashtag": tag,
                                   "members": [w.ids[a] for a in members]})
        for s in trending_sounds:
            members = sorted(set(post_authors.get("s" + str(s), [])))
            if members:
                lookalikes.append({"group_id": f"trending-{dt}-{catalog.sound_ids[s]}", "kind": "trending",
                                   "sound_id": catalog.sound_ids[s], "members": [w.ids[a] for a in members]})
        ev = _assemble(w, [org, _batch_cols(batch), eng])
        sess_recs, ev_session = _sessions(w, ops, ev, day, R(16, day), session_seen)
        ev_recs = _event_records(w, catalog, ev, ev_session, day, R(17, day))
        # events: 2-4 files per partition, contiguous in time
        frng = R(18, day)
        n_parts = int(frng.integers(2, 5))
        fr = (np.arange(1, n_parts) + frng.uniform(-0.3, 0.3, n_parts - 1)) / n_parts
        bounds = [0] + [int(f * len(ev_recs)) for f in fr] + [len(ev_recs)]
        written_events = []
        for k in range(len(bounds) - 1):
            part = ev_recs[bounds[k]:bounds[k + 1]]
            written_events.append(writer.write("events", dt, f"part-{k:04d}", part, k % 2 == 0, d0))
        if corrupt_rate > 0 and day == min(1, days - 1):
            src = written_events[-1]
            data, nl = corruptor.truncated_gzip(src[: max(1, len(src) // 2)])
            rel = f"events/dt={dt}/part-9999-redelivery.jsonl.gz"
            (landing / rel).write_bytes(data)
            corruptor.files.append({"file": rel, "reason": "truncated_gzip", "lines_before_cut": nl,
                                    "content": "exact copies of lines from part-%04d" % (len(written_events) - 1)})
            writer.files += 1
        writer.success("events", dt)
        writer.write("sessions", dt, "sessions", sess_recs, frng.random() < 0.5, d0)
        if corrupt_rate > 0 and day == days - 1:
            rel = f"sessions/dt={dt}/sessions-late.jsonl"
            (landing / rel).write_bytes(b"")
            corruptor.counts["empty_file"] += 1
            corruptor.files.append({"file": rel, "reason": "empty_file"})
            writer.files += 1
        writer.success("sessions", dt)
        acc_recs = _account_records(w, ops, day, R(19, day), snapshot_day0)
        writer.write("accounts", dt, "accounts", acc_recs, day % 2 == 0, d0)
        writer.success("accounts", dt)
        enf = [r for (dd, r) in enforcement if dd == day]
        writer.write("enforcement", dt, "actions", enf, False, d0)
        writer.success("enforcement", dt)

    ind = _indicators(w, ops, catalog, R(20))
    (landing / "reference").mkdir(parents=True, exist_ok=True)
    (landing / "reference" / "indicators.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in ind))
    writer.files += 1

    truth = landing / "_truth"
    truth.mkdir(parents=True, exist_ok=True)
    opt = orjson.OPT_INDENT_2
    (truth / "operations.json").write_bytes(orjson.dumps([o.truth(w, catalog) for o in ops], option=opt))
    (truth / "lookalikes.json").write_bytes(orjson.dumps(lookalikes, option=opt))
    counts = {s: {"records": writer.records[s], "lines": writer.lines[s]} for s in SOURCES}
    counts["indicators"] = {"records": len(ind), "lines": len(ind)}
    manifest = {
        "generator": "threatgraph.generator",
        "arguments": {"days": days, "accounts": accounts, "seed": seed, "start": start.isoformat(),
                      "corrupt_rate": corrupt_rate},
        "counts": counts,
        "files": writer.files,
        "operations": len(ops),
        "lookalike_groups": len(lookalikes),
        "tactics": list(TACTICS),
        "corrupt": {"by_reason": dict(corruptor.counts), "lines": corruptor.lines, "files": corruptor.files},
    }
    (truth / "manifest.json").write_bytes(orjson.dumps(manifest, option=opt))
    return {"files": writer.files, "lines": {**dict(writer.lines), "indicators": len(ind)},
            "records": dict(writer.records), "operations": len(ops), "lookalikes": len(lookalikes),
            "corrupt": {k: v for k, v in corruptor.counts.items() if v}}


# ------------------------------------------------------------------ planning

def _prewindow_videos(w: World, catalog: Catalog, rng) -> None:
    lam = np.where(w.creator, 3 + np.minimum(w.pop * 4, 30), 0.3)
    counts = rng.poisson(lam)
    for a in np.flatnonzero(counts).tolist():
        for _ in range(int(counts[a])):
            lo = max(int(w.created_ms[a]), w.start_ms - 30 * DAY)
            if lo >= w.start_ms - MINUTE:
                continue
            t = int(rng.integers(lo, w.start_ms - MINUTE))
            wt = (w.pop[a] if w.creator[a] else 0.05) * rng.lognormal(0, 1)
            catalog.add_video(a, t, wt, bool(rng.random() < 0.04), rng)


def _plan_enforcement(w: World, ops, clubs, rng) -> list:
    """(day, record) pairs; bans end the account's activity."""
    out = []
    days = w.days

    def rec(a, t, action, policy, source, label):
        return {"action_id": "act-" + snowflake(t, int(rng.integers(0, 2**22))), "event_time": _ts(t),
                "account_id": w.ids[a], "action": action, "policy": policy, "source": source,
                "campaign_label": label}

    loud = [o for o in ops if not o.evasive]
    chosen = [o for o in ops if rng.random() < 0.5]
    if not any(not o.evasive for o in chosen) and loud:
        chosen.append(loud[int(rng.integers(len(loud)))])
    for o in sorted(chosen, key=lambda o: o.idx):
        pool = [a for a in o.members if a not in o.leaders]
        k = max(1, int(len(pool) * rng.uniform(0.15, 0.35)))
        for a in sorted(int(x) for x in rng.choice(pool, min(k, len(pool)), replace=False)):
            day = int(rng.integers(o.start_day, days))
            t = w.start_ms + day * DAY + int(rng.integers(HOUR, DAY - HOUR))
            t = max(t, int(w.created_ms[a]) + HOUR)
            if t >= w.start_ms + (day + 1) * DAY:
                continue
            action = ("ban", "ban", "suspend", "restrict")[int(rng.integers(4))]
            src = "investigation" if rng.random() < 0.8 else "external_referral"
            out.append((day, rec(a, t, action, "coordinated_inauthentic_behavior", src, o.label)))
            o.enforced.append(a)
            if action == "ban":
                w.end_ms[a] = t
    # noisy organic enforcement
    organic = np.flatnonzero(w.op < 0)
    noisy = rng.choice(organic, max(3, int(w.n * 0.004)), replace=False)
    policies = ("spam", "spam", "spam", "fake_engagement", "impersonation", "civic_misinformation", "other")
    for a in sorted(noisy.tolist()):
        day = int(rng.integers(0, days))
        t = w.start_ms + day * DAY + int(rng.integers(0, DAY))
        if t <= w.created_ms[a]:
            continue
        action = ("warn", "warn", "restrict", "suspend", "ban")[int(rng.integers(5))]
        src = ("automated", "automated", "user_report")[int(rng.integers(3))]
        out.append((day, rec(a, t, action, policies[int(rng.integers(len(policies)))], src, None)))
        if action == "ban":
            w.end_ms[a] = t
    # false positives: fan club members flagged as CIB by automation, then reinstated
    for c in clubs[:2]:
        for a in c.fans[:3]:
            day = int(rng.integers(0, days))
            t = w.start_ms + day * DAY + int(rng.integers(0, DAY - 2 * HOUR))
            if t <= w.created_ms[a]:
                continue
            out.append((day, rec(a, t, "restrict", "coordinated_inauthentic_behavior", "automated", None)))
            t2 = t + int(rng.integers(10 * MINUTE, 2 * HOUR))
            out.append((day, rec(a, t2, "reinstate", "coordinated_inauthentic_behavior", "user_report", None)))
    # organic deletions
    for a in sorted(rng.choice(organic, max(2, int(w.n * 0.003)), replace=False).tolist()):
        lo = max(int(w.created_ms[a]) + HOUR, w.start_ms)
        hi = w.start_ms + days * DAY
        if lo < hi and w.end_ms[a] == NEVER:
            w.end_ms[a] = int(rng.integers(lo, hi))
            w.deleted = getattr(w, "deleted", set())
            w.deleted.add(a)
    out.sort(key=lambda x: (x[0], x[1]["event_time"], x[1]["action_id"]))
    return out


# ------------------------------------------------------------------ organic activity

def _organic_counts(w: World, day: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d0 = w.start_ms + day * DAY
    d1 = d0 + DAY
    live = (w.created_ms < d1) & (w.wake_ms < d1) & (w.end_ms > d0)
    counts = rng.poisson(np.where(live, w.rate, 0.0))
    acct = np.repeat(np.arange(w.n), counts)
    m = len(acct)
    hours = rng.choice(24, m, p=DIURNAL)
    t = d0 + (hours * HOUR + rng.integers(0, HOUR, m) - (w.tz[acct] * HOUR).astype(np.int64)) % DAY
    u = rng.random(m)
    cv = np.searchsorted(np.cumsum(TYPE_P_VIEWER), u, side="right")
    cc = np.searchsorted(np.cumsum(TYPE_P_CREATOR), u, side="right")
    etype = np.minimum(np.where(w.creator[acct], cc, cv), 6)
    alive = (t >= w.created_ms[acct]) & (t >= w.wake_ms[acct]) & (t <= w.end_ms[acct])
    return acct[alive], t[alive], etype[alive]


def _empty_cols(m: int) -> dict:
    return {"acct": np.zeros(m, np.int64), "t": np.zeros(m, np.int64), "etype": np.zeros(m, np.int64),
            "video": np.full(m, -1, np.int64), "target": np.full(m, -1, np.int64),
            "sound": np.full(m, -1, np.int64), "channel": np.full(m, -1, np.int64),
            "text": [None] * m, "tags": [EMPTY] * m, "mentions": [EMPTY] * m, "urls": [EMPTY] * m}


def _organic_posts(w, catalog, day, rng, trending_tags, trending_sounds, sound_w, post_authors) -> dict:
    acct, t, etype = _organic_counts(w, day, rng)
    sel = etype == POST
    acct, t = acct[sel], t[sel]
    order = np.lexsort((acct, t))
    acct, t = acct[order], t[order]
    m = len(acct)
    cols = _empty_cols(m)
    cols["acct"][:] = acct
    cols["t"][:] = t
    cols["etype"][:] = POST
    sw = np.array(sound_w)
    sounds = _weighted_pick(rng, sw, m)
    tagw = 1.0 / np.arange(1, len(vocab.HASHTAGS) + 1) ** 0.9
    creators = np.flatnonzero(w.creator)
    hashtags = vocab.HASHTAGS
    for i in range(m):
        a = int(acct[i])
        g = w.group[a]
        civic = rng.random() < 0.05
        if civic:
            text = vocab.CIVIC_CAPTIONS[int(rng.integers(len(vocab.CIVIC_CAPTIONS)))]
            tags = [vocab.CIVIC_HASHTAGS[int(rng.integers(len(vocab.CIVIC_HASHTAGS)))]]
        else:
            caps = vocab.CAPTIONS[g]
            text = caps[int(rng.integers(len(caps)))]
            tags = []
        for j in _weighted_pick(rng, tagw, int(rng.integers(0, 5))).tolist():
            if hashtags[j] not in tags:
                tags.append(hashtags[j])
        if rng.random() < 0.25:
            tr = trending_tags[int(rng.integers(len(trending_tags)))]
            if tr not in tags:
                tags.append(tr)
        for tg in tags:
            if tg in trending_tags and w.op[a] < 0:
                post_authors.setdefault("#" + tg, []).append(a)
        mentions = EMPTY
        if rng.random() < 0.05 and len(creators):
            mt = int(creators[int(rng.integers(len(creators)))])
            if mt != a:
                mentions = [w.ids[mt]]
                text = f"{text} with @{w.ids[mt]}"
        urls = EMPTY
        if rng.random() < 0.03:
            urls = [f"https://{vocab.ORGANIC_DOMAINS[int(rng.integers(len(vocab.ORGANIC_DOMAINS)))]}/{int(rng.integers(10**5, 10**7)):x}"]
            text = f"{text} {urls[0]}"
        if tags:
            text = text + " " + " ".join("#" + h for h in tags)
        r = rng.random()
        if r < 0.3:
            s = trending_sounds[int(rng.integers(len(trending_sounds)))]
        elif r < 0.75:
            s = int(sounds[i])
        else:
            s = -1
        if s in trending_sounds and w.op[a] < 0:
            post_authors.setdefault("s" + str(s), []).append(a)
        weight = (w.pop[a] if w.creator[a] else 0.05) * rng.lognormal(0, 1)
        vid = catalog.add_video(a, int(t[i]), weight, civic, rng)
        cols["video"][i] = vid
        cols["sound"][i] = s
        cols["text"][i] = text
        cols["tags"][i] = tags
        cols["mentions"][i] = mentions
        cols["urls"][i] = urls
    return cols


def _organic_engagement(w, catalog, day, rng) -> dict:
    acct, t, etype = _organic_counts(w, day, rng)
    sel = etype != POST
    acct, t, etype = acct[sel], t[sel], etype[sel]
    d0 = w.start_ms + day * DAY
    d1 = d0 + DAY
    m = len(acct)
    post_ms = np.array(catalog.post_ms, dtype=np.int64)
    owner = np.array(catalog.owner, dtype=np.int64)
    eligible = np.flatnonzero(post_ms < d1 - 10 * MINUTE)
    age = np.maximum(0.0, (d0 + DAY / 2 - post_ms[eligible]) / DAY)
    wts = np.array(catalog.weight)[eligible] / (1.0 + age) ** 1.5
    video = np.full(m, -1, np.int64)
    target = np.full(m, -1, np.int64)
    on_video = (etype == COMMENT) | (etype == LIKE) | (etype == SHARE) | (etype == REPOST)
    k = int(on_video.sum())
    v = eligible[_weighted_pick(rng, wts, k)]
    video[on_video] = v
    target[on_video] = owner[v]
    pt = post_ms[v]
    tv = t[on_video]
    late = tv < pt + MINUTE
    tv = np.where(late, pt + MINUTE + rng.exponential(2 * HOUR, k).astype(np.int64), tv)
    t[on_video] = tv
    fol = (etype == FOLLOW) | (etype == UNFOLLOW)
    creators = np.flatnonzero(w.creator)
    target[fol] = creators[_weighted_pick(rng, w.pop[creators] + 0.05, int(fol.sum()))]
    keep = (t < d1) & (target != acct) & (t >= w.created_ms[acct]) & (t <= w.end_ms[acct])
    acct, t, etype, video, target = acct[keep], t[keep], etype[keep], video[keep], target[keep]
    m = len(acct)
    cols = _empty_cols(m)
    cols["acct"][:] = acct
    cols["t"][:] = t
    cols["etype"][:] = etype
    cols["video"][:] = video
    cols["target"][:] = target
    sh = np.flatnonzero(etype == SHARE)
    cols["channel"][sh] = rng.choice(3, len(sh), p=[0.45, 0.4, 0.15])
    civic = catalog.civic
    text = cols["text"]
    mentions = cols["mentions"]
    for i in np.flatnonzero(etype == COMMENT).tolist():
        a = int(acct[i])
        r = rng.random()
        if civic[int(video[i])] and r < 0.5:
            s = vocab.CIVIC_COMMENTS[int(rng.integers(len(vocab.CIVIC_COMMENTS)))]
        elif r < 0.45:
            s = vocab.COMMENTS_SHORT[int(rng.integers(len(vocab.COMMENTS_SHORT)))]
        else:
            cs = vocab.COMMENTS[w.group[a]]
            s = cs[int(rng.integers(len(cs)))]
        if rng.random() < 0.04:
            mt = int(rng.integers(w.n))
            if mt != a:
                s = f"@{w.ids[mt]} {s}"
                mentions[i] = [w.ids[mt]]
        text[i] = s
    return cols


def _batch_cols(b: Batch) -> dict:
    return {"acct": np.array(b.acct, np.int64), "t": np.array(b.t, np.int64),
            "etype": np.array(b.etype, np.int64), "video": np.array(b.video, np.int64),
            "target": np.array(b.target, np.int64), "sound": np.array(b.sound, np.int64),
            "channel": np.array(b.channel, np.int64), "text": b.text, "tags": b.tags,
            "mentions": b.mentions, "urls": b.urls}


def _assemble(w: World, parts: list) -> dict:
    cols = {}
    for k in ("acct", "t", "etype", "video", "target", "sound", "channel"):
        cols[k] = np.concatenate([p[k] for p in parts])
    objs = {k: [x for p in parts for x in p[k]] for k in ("text", "tags", "mentions", "urls")}
    a, t, tg = cols["acct"], cols["t"], cols["target"]
    keep = (t >= w.created_ms[a]) & (t >= w.wake_ms[a]) & (t <= w.end_ms[a])
    tgt_ok = np.where(tg >= 0, t <= w.end_ms[np.maximum(tg, 0)], True)
    keep &= tgt_ok
    idx = np.flatnonzero(keep)
    order = idx[np.lexsort((cols["etype"][idx], a[idx], t[idx]))]
    out = {k: v[order] for k, v in cols.items()}
    ol = order.tolist()
    for k, v in objs.items():
        out[k] = [v[i] for i in ol]
    return out


# ------------------------------------------------------------------ sessions

def _sessions(w: World, ops, ev: dict, day: int, rng, seen: set):
    d0 = w.start_ms + day * DAY
    d1 = d0 + DAY
    acct = ev["acct"]
    t = ev["t"]
    order = np.lexsort((t, acct))
    a_sorted = acct[order]
    uniq, first_idx = np.unique(a_sorted, return_index=True)
    min_t = t[order][first_idx]
    # lurkers: logins without actions
    live = np.flatnonzero((w.created_ms < d0) & (w.wake_ms < d0) & (w.end_ms > d1))
    lurk = np.setdiff1d(live[rng.random(len(live)) < 0.12], uniq)
    lurk_t = d0 + rng.integers(0, DAY, len(lurk))
    s_acct = [uniq, lurk]
    first = np.maximum(np.maximum(min_t - rng.integers(0, 20 * MINUTE, len(uniq)), d0),
                       np.maximum(w.created_ms[uniq], w.wake_ms[uniq]))
    first = np.minimum(first, min_t)
    s_time = [first, lurk_t]
    extra = np.minimum(rng.poisson(0.5, len(uniq)), 4)
    ea = np.repeat(uniq, extra)
    ef = np.repeat(first, extra)
    et = ef + (rng.random(len(ea)) * (d1 - ef)).astype(np.int64)
    s_acct.append(ea)
    s_time.append(et)
    sa = np.concatenate(s_acct)
    st = np.concatenate(s_time)
    so = np.lexsort((st, sa))
    sa, st = sa[so], st[so]
    ns = len(sa)
    # map each event to the latest session at or before it
    key_s = sa * DAY + (st - d0)
    key_e = acct * DAY + (t - d0)
    ev_sess = np.searchsorted(key_s, key_e, side="right") - 1
    # session attributes
    chan = rng.random(ns)
    host = rng.integers(1, 255, ns)
    v6 = rng.random(ns) < 0.12
    dev_r = rng.random(ns)
    login = rng.choice(4, ns, p=[0.72, 0.18, 0.05, 0.05])
    ids = []
    recs = []
    times = _ts_list(st)
    failed = []
    for i in range(ns):
        a = int(sa[i])
        o = int(w.op[a])
        op = ops[o] if o >= 0 else None
        c = chan[i]
        if op is not None and op.ip_pool and c < 0.92:
            asn, ip, ipcc = op.ip_pool[int(rng.integers(len(op.ip_pool)))]
        elif c < 0.55:
            asn, ipcc = int(w.home_asn[a]), COUNTRY_CODES[int(w.country[a])]
            ip = w.home_ip6[a] + f"::{int(host[i]):x}" if v6[i] else w.home_ip[a]
        elif c < 0.98 or op is not None:
            asn, prefix, ipcc = w.nat_pools[int(w.nat_pool[a])]
            ip = prefix + str(int(host[i]))
        else:  # organic VPN / proxy use on hosting ASNs
            asn, ipcc, pair = vocab.HOSTING[int(host[i]) % len(vocab.HOSTING)]
            ip = f"{pair[0]}.{pair[1]}.{int(host[i])}.{int(host[-i]) % 250 + 2}"
        if op is not None and op.devices and dev_r[i] < 0.95:
            dev = op.devices[int(rng.integers(len(op.devices)))]
        elif w.hh_dev[a] >= 0 and dev_r[i] < 0.2:
            dev = int(w.hh_dev[a])
        elif w.dev2[a] >= 0 and dev_r[i] < 0.45:
            dev = int(w.dev2[a])
        else:
            dev = int(w.dev1[a])
        tt = int(st[i])
        sid = unique_snowflake(tt, rng.integers(0, 2**22), seen)
        ids.append(sid)
        method = "password" if op is not None and login[i] < 2 else LOGIN[int(login[i])]
        rec = {"session_id": sid, "event_time": times[i], "account_id": w.ids[a], "ip": ip, "asn": asn,
               "ip_country": ipcc, "device_id": w.devices[dev], "user_agent": w.dev_ua[dev],
               "login_method": method, "success": True}
        recs.append((tt, rec))
        if rng.random() < 0.03 and tt - 5000 > d0:
            ft = tt - int(rng.integers(5000, min(90_000, tt - d0)))
            fid = unique_snowflake(ft, rng.integers(0, 2**22), seen)
            frec = dict(rec, session_id=fid, event_time=_ts(ft), login_method="password", success=False)
            failed.append((ft, frec))
    allrecs = recs + failed
    allrecs.sort(key=lambda x: (x[0], x[1]["session_id"]))
    ev_session = [ids[j] for j in ev_sess.tolist()]
    return [r for _, r in allrecs], ev_session


# ------------------------------------------------------------------ records

def _event_records(w: World, catalog: Catalog, ev: dict, ev_session: list, day: int, rng) -> list:
    m = len(ev["acct"])
    times = _ts_list(ev["t"])
    eids = (((ev["t"] - 1_262_304_000_000) << 22) | (np.arange(m, dtype=np.int64) & 0x3FFFFF)).tolist()
    no_sess = (rng.random(m) < 0.02).tolist()
    ids = w.ids
    vids = catalog.ids
    sids = catalog.sound_ids
    cc = [COUNTRY_CODES[c] for c in w.country.tolist()]
    out = []
    for i, (a, e, v, tg, s, ch, text, tags, men, urls) in enumerate(zip(
            ev["acct"].tolist(), ev["etype"].tolist(), ev["video"].tolist(), ev["target"].tolist(),
            ev["sound"].tolist(), ev["channel"].tolist(), ev["text"], ev["tags"], ev["mentions"],
            ev["urls"])):
        out.append({
            "event_id": str(eids[i]), "event_time": times[i], "account_id": ids[a],
            "event_type": EVENT_TYPES[e], "video_id": vids[v] if v >= 0 else None,
            "target_account_id": ids[tg] if tg >= 0 else None, "text": text, "hashtags": tags,
            "mention_account_ids": men, "urls": urls, "sound_id": sids[s] if s >= 0 else None,
            "share_channel": SHARE_CH[ch] if ch >= 0 else None,
            "session_id": None if no_sess[i] else ev_session[i], "region_code": cc[a],
        })
    return out


def _account_records(w: World, ops, day: int, rng, snap: set) -> list:
    d0 = w.start_ms + day * DAY
    d1 = d0 + DAY
    recs = []
    if day == 0:
        old = np.flatnonzero(w.created_ms < w.start_ms)
        ts = d0 + rng.integers(0, 30 * MINUTE, len(old))
        times = _ts_list(ts)
        for a, t, s in zip(old.tolist(), ts.tolist(), times):
            recs.append((t, _profile(w, a, "snapshot", t, s)))
    new = np.flatnonzero((w.created_ms >= d0) & (w.created_ms < d1))
    for a in new.tolist():
        t = int(w.created_ms[a])
        recs.append((t, _profile(w, a, "created", t)))
    # profile updates
    live = np.flatnonzero((w.created_ms < d0) & (w.end_ms > d1) & (w.op < 0))
    upd = live[rng.random(len(live)) < 0.01]
    for a in upd.tolist():
        t = d0 + int(rng.integers(2 * HOUR, DAY))
        r = rng.random()
        if r < 0.4:
            w.bio[a] = vocab.BIOS[int(rng.integers(len(vocab.BIOS)))]
        elif r < 0.7:
            w.avatar[a] = f"{int(rng.integers(0, 2**63)):016x}"
        elif r < 0.9:
            w.display_name[a] = (w.display_name[a] or w.username[a]) + " ✨"
        else:
            w.lang[a] = "en"
        recs.append((t, _profile(w, a, "updated", t)))
    # sleepers repurposed on waking up; burst accounts polished a bit later
    for o in ops:
        for a in o.sleepers:
            wt = int(w.wake_ms[a])
            if d0 <= wt < d1 or (day == 0 and wt < d0):
                t = max(wt - int(rng.integers(MINUTE, HOUR)), d0 + HOUR)
                if t >= d1 or t > w.end_ms[a]:
                    continue
                f = o.candidate.split()[-1]
                w.bio[a] = vocab.OP_BIOS[int(rng.integers(len(vocab.OP_BIOS)))]
                w.display_name[a] = f"{(w.display_name[a] or w.username[a]).split()[0]} | #{o.hashtags[0]}" \
                    if rng.random() < 0.5 else f"Stop {f}"
                recs.append((t, _profile(w, a, "updated", t)))
    for a in sorted(getattr(w, "deleted", set())):
        t = int(w.end_ms[a])
        if d0 <= t < d1:
            recs.append((t, _profile(w, a, "deleted", t)))
    recs.sort(key=lambda x: (x[0], x[1]["account_id"]))
    return [r for _, r in recs]


def _indicators(w: World, ops, catalog: Catalog, rng) -> list:
    out = []

    def first_seen():
        return _ts(w.start_ms - int(rng.integers(1, 90)) * DAY - int(rng.integers(0, DAY)))

    sources = ("partner_threat_exchange", "osint_report", "internal_investigation", "academic_partner")
    for o in ops:
        if rng.random() < 0.6:
            for d in o.domains:
                out.append({"indicator_type": "domain", "value": d, "threat_actor": o.name,
                            "source": sources[int(rng.integers(len(sources)))],
                            "confidence": round(float(rng.uniform(0.55, 0.95)), 2), "first_seen": first_seen()})
            if rng.random() < 0.4:
                out.append({"indicator_type": "hashtag", "value": o.hashtags[0], "threat_actor": o.name,
                            "source": "osint_report", "confidence": round(float(rng.uniform(0.3, 0.7)), 2),
                            "first_seen": first_seen()})
    if not any(r["indicator_type"] == "domain" for r in out):
        o = ops[0]
        out.append({"indicator_type": "domain", "value": o.domains[0], "threat_actor": o.name,
                    "source": "osint_report", "confidence": 0.8, "first_seen": first_seen()})
    loud = [o for o in ops if o.ip_pool]
    if loud:
        asn, ip, _ = loud[0].ip_pool[0]
        out.append({"indicator_type": "ip_prefix", "value": ".".join(ip.split(".")[:3]) + ".0/24",
                    "threat_actor": None, "source": "partner_threat_exchange", "confidence": 0.5,
                    "first_seen": first_seen()})
    # decoys / unrelated intel
    for d in ("spam-clicks.biz", "free-followers-now.xyz", "crypto-double.win"):
        out.append({"indicator_type": "domain", "value": d, "threat_actor": None, "source": "osint_report",
                    "confidence": round(float(rng.uniform(0.2, 0.6)), 2), "first_seen": first_seen()})
    out.append({"indicator_type": "sound_id", "value": catalog.sound_ids[int(rng.integers(200, 1500))],
                "threat_actor": None, "source": "user_reports", "confidence": 0.2, "first_seen": first_seen()})
    return out
