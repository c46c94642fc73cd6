"""Planted influence operations and organic look-alikes (viral, fan clubs)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import vocab
from .model import COMMENT, EMPTY, FOLLOW, LIKE, POST, REPOST, SHARE, Batch, Catalog
from .population import DAY, HOUR, MINUTE, World, new_device, unique_snowflake, unique_username

TACTICS = ("synchronized_amplification", "copy_paste_comments", "hashtag_flooding", "sound_flooding",
           "url_pushing", "follow_ring", "device_farm", "datacenter_ips", "creation_burst",
           "patterned_usernames", "shared_avatars", "sleeper_accounts")
CONTENT_TACTICS = TACTICS[:5]
EVASIONS = ("jittered_timing", "partial_participation", "residential_ips", "no_shared_devices")


@dataclass
class Operation:
    idx: int
    operation_id: str
    name: str
    label: str
    tactics: list
    evasive: bool
    target_cc: int
    candidate: str
    members: list = field(default_factory=list)
    leaders: list = field(default_factory=list)
    sleepers: list = field(default_factory=list)
    burst: list = field(default_factory=list)
    hashtags: list = field(default_factory=list)
    domains: list = field(default_factory=list)
    sound: int = -1
    narratives: list = field(default_factory=list)
    comments: list = field(default_factory=list)
    devices: list = field(default_factory=list)
    ip_pool: list = field(default_factory=list)     # (asn, ip, country)
    start_day: int = 0
    enforced: list = field(default_factory=list)

    def has(self, tactic: str) -> bool:
        return tactic in self.tactics

    def truth(self, w: World, catalog: Catalog) -> dict:
        return {
            "operation_id": self.operation_id, "name": self.name, "campaign_label": self.label,
            "tactics": list(self.tactics), "evasive": self.evasive,
            "evasion": list(EVASIONS) if self.evasive else [],
            "target_country": vocab.COUNTRIES[self.target_cc][0], "candidate": self.candidate,
            "hashtags": list(self.hashtags), "domains": list(self.domains),
            "sound_id": catalog.sound_ids[self.sound] if self.sound >= 0 else None,
            "leaders": [w.ids[a] for a in self.leaders],
            "sleepers": [w.ids[a] for a in self.sleepers],
            "members": [w.ids[a] for a in self.members],
            "enforced_members": [w.ids[a] for a in self.enforced],
        }


def vary(text: str, rng) -> str:
    """Copy-paste with small variations."""
    r = rng.random()
    if r < 0.2:
        text = text.capitalize()
    elif r < 0.3:
        text = text.upper()
    if rng.random() < 0.25:
        text = ("guys " if rng.random() < 0.5 else "honestly ") + text
    if rng.random() < 0.2:
        text = text.replace(" ", "  ", 1)
    return text + vocab.EMOJI_TAILS[int(rng.integers(len(vocab.EMOJI_TAILS)))]


def _n_ops(n: int) -> int:
    return int(np.clip(4 + n // 10000, 4, 10))


def plan_operations(w: World, rng: np.random.Generator, catalog: Catalog) -> list[Operation]:
    n = w.n
    n_ops = _n_ops(n)
    n_evasive = max(1, n_ops // 3)
    evasive_set = set(rng.choice(n_ops, n_evasive, replace=False).tolist())
    names = [vocab.OP_NAMES[i] for i in rng.permutation(len(vocab.OP_NAMES))[:n_ops]]
    domains = [vocab.OP_DOMAINS[i] for i in rng.permutation(len(vocab.OP_DOMAINS))]
    ops: list[Operation] = []
    for i in range(n_ops):
        ev = i in evasive_set
        p = {"synchronized_amplification": 0.85, "copy_paste_comments": 0.6, "hashtag_flooding": 0.5,
             "sound_flooding": 0.35, "url_pushing": 0.5, "follow_ring": 0.5,
             "device_farm": 0.0 if ev else 0.6, "datacenter_ips": 0.0 if ev else 0.6,
             "creation_burst": 0.3 if ev else 0.5, "sleeper_accounts": 0.4}
        tactics = {t for t in TACTICS if rng.random() < p.get(t, 0.0)}
        if "creation_burst" in tactics:
            if not ev and rng.random() < 0.8:
                tactics.add("patterned_usernames")
            if not ev and rng.random() < 0.8:
                tactics.add("shared_avatars")
        while len(tactics & set(CONTENT_TACTICS)) < 2:
            tactics.add(CONTENT_TACTICS[int(rng.integers(len(CONTENT_TACTICS)))])
        cc = int(rng.choice([0, 0, 1, 2, 5, 12]))
        ops.append(Operation(
            idx=i, operation_id=f"op-{i + 1:02d}", name=names[i],
            label=names[i].lower().replace(" ", "_"), tactics=tactics, evasive=ev, target_cc=cc,
            candidate=vocab.CANDIDATES[int(rng.integers(len(vocab.CANDIDATES)))]))
    # every tactic appears somewhere
    loud = [o for o in ops if not o.evasive]
    for t in TACTICS:
        if any(t in o.tactics for o in ops):
            continue
        if t in ("device_farm", "datacenter_ips", "patterned_usernames", "shared_avatars"):
            o = loud[int(rng.integers(len(loud)))]
            if t in ("patterned_usernames", "shared_avatars"):
                o.tactics.add("creation_burst")
        else:
            o = ops[int(rng.integers(len(ops)))]
        o.tactics.add(t)
        if t == "creation_burst" and not o.evasive:
            o.tactics.update(("patterned_usernames", "shared_avatars"))
    for o in ops:
        o.tactics = [t for t in TACTICS if t in o.tactics]

    # members
    taken = np.zeros(n, dtype=bool)
    all_ids = set(w.ids)
    max_total = max(40, n // 4)
    for o in ops:
        size = int(np.clip(round(n * rng.uniform(0.0002, 0.0017)), 10, 80))
        size = min(size, max(10, max_total // len(ops)))
        n_burst = 0
        if o.has("creation_burst"):
            n_burst = size if not o.has("sleeper_accounts") else size // 2
        n_old = size - n_burst
        old_pool = np.flatnonzero(~taken & ~w.creator & (w.created_ms < w.start_ms - 60 * DAY))
        if len(old_pool) < n_old:
            old_pool = np.flatnonzero(~taken & ~w.creator)
        old = [int(a) for a in rng.choice(old_pool, n_old, replace=False)] if n_old else []
        taken[old] = True
        burst_pool = np.flatnonzero(~taken & ~w.creator)
        burst = [int(a) for a in rng.choice(burst_pool, n_burst, replace=False)] if n_burst else []
        taken[burst] = True
        o.members = sorted(old + burst)
        o.burst = sorted(burst)
        for a in o.members:
            w.op[a] = o.idx
            w.rate[a] = (2.0 if o.evasive else 0.5) * rng.uniform(0.5, 1.5)
        cand = o.candidate.split()[-1]
        stems = [vocab.OP_TAG_STEMS[j] for j in rng.permutation(len(vocab.OP_TAG_STEMS))[:2]]
        o.hashtags = [stems[0], f"{stems[1]}{cand}", vocab.CIVIC_HASHTAGS[int(rng.integers(4))]]
        if not domains:  # more operations than named domains: numbered variants, still one owner each
            domains.extend(d.replace(".", f"{o.idx}.", 1) for d in vocab.OP_DOMAINS)
        o.domains = [domains.pop()] + ([domains.pop()] if rng.random() < 0.4 and len(domains) > 2 else [])
        o.sound = catalog.add_sound(rng)
        o.narratives = [vocab.OP_NARRATIVES[j] for j in rng.permutation(len(vocab.OP_NARRATIVES))[:3]]
        o.comments = [vocab.OP_COMMENT_BASES[j] for j in rng.permutation(len(vocab.OP_COMMENT_BASES))[:2]]
        # infrastructure
        if o.has("device_farm"):
            model = int(rng.integers(len(vocab.DEVICE_MODELS)))
            ver = vocab.APP_VERSIONS[int(rng.integers(len(vocab.APP_VERSIONS)))]
            o.devices = [new_device(w, rng, model, ver) for _ in range(max(2, size // 8))]
        if o.has("datacenter_ips"):
            for _ in range(int(rng.integers(1, 4))):
                asn, hcc, pair = vocab.HOSTING[int(rng.integers(len(vocab.HOSTING)))]
                c = int(rng.integers(0, 256))
                for _ in range(int(rng.integers(3, 12))):
                    o.ip_pool.append((asn, f"{pair[0]}.{pair[1]}.{c}.{int(rng.integers(2, 254))}", hcc))
        # sleepers
        if o.has("sleeper_accounts"):
            o.sleepers = sorted(old)
            wake_day = int(rng.integers(1, w.days)) if w.days > 1 else 0
            o.start_day = wake_day
            for a in old:
                w.wake_ms[a] = w.start_ms + wake_day * DAY + int(rng.integers(0, 6 * HOUR))
                w.created_ms[a] = min(int(w.created_ms[a]), w.start_ms - int(rng.integers(200, 1500)) * DAY)
        # creation burst: fresh accounts with patterned names and shared avatars
        if burst:
            in_window = rng.random() < 0.6 and w.days > 1
            if in_window:
                bday = int(rng.integers(0, min(2, w.days - 1) + 1))
                t0 = w.start_ms + bday * DAY + int(rng.integers(1 * HOUR, 10 * HOUR))
                o.start_day = max(o.start_day, bday)
            else:
                t0 = w.start_ms - int(rng.integers(3, 25)) * DAY + int(rng.integers(0, 20 * HOUR))
            spread = int(rng.uniform(20, 40) * HOUR) if o.evasive else int(rng.uniform(5, 90) * MINUTE)
            group = vocab.COUNTRIES[o.target_cc][4]
            pattern = int(rng.integers(3))
            ndig = int(rng.integers(3, 6))
            avatars = [f"{int(rng.integers(0, 2**63)):016x}" for _ in range(int(rng.integers(2, 5)))]
            email = vocab.TEMP_EMAIL_DOMAINS[int(rng.integers(len(vocab.TEMP_EMAIL_DOMAINS)))]
            ctimes = np.sort(t0 + rng.integers(0, spread, len(burst)))
            for a, ct in zip(burst, ctimes):
                ct = int(ct)
                w.created_ms[a] = ct
                w.used_usernames.discard(w.username[a])
                f = vocab.FIRST[group][int(rng.integers(len(vocab.FIRST[group])))]
                l = vocab.LAST[group][int(rng.integers(len(vocab.LAST[group])))]
                if o.has("patterned_usernames"):
                    d = int(rng.integers(10 ** (ndig - 1), 10 ** ndig))
                    base = (f"{f}{l}{d}", f"{f}_{l}{d}", f"{l}.{f}{d}")[pattern]
                else:
                    base = f"{f}{['', '.', '_'][int(rng.integers(3))]}{l}{int(rng.integers(0, 100)) if rng.random() < 0.4 else ''}"
                w.username[a] = unique_username(w, base, rng)
                w.display_name[a] = f"{f.capitalize()} {l.capitalize()}"
                w.bio[a] = vocab.OP_BIOS[int(rng.integers(len(vocab.OP_BIOS)))] if rng.random() < 0.7 else None
                w.country[a] = o.target_cc
                w.tz[a] = vocab.COUNTRIES[o.target_cc][3]
                w.lang[a] = vocab.COUNTRIES[o.target_cc][2]
                w.group[a] = group
                if o.has("shared_avatars"):
                    h = int(avatars[int(rng.integers(len(avatars)))], 16)
                    if rng.random() < 0.3:
                        h ^= 1 << int(rng.integers(0, 64))
                    w.avatar[a] = f"{h:016x}"
                else:
                    w.avatar[a] = f"{int(rng.integers(0, 2**63)):016x}" if rng.random() < 0.7 else None
                w.email[a] = "gmail.com" if o.evasive else email
                if o.ip_pool:
                    w.signup_ip[a] = o.ip_pool[int(rng.integers(len(o.ip_pool)))][1]
                if o.devices:
                    w.signup_dev[a] = w.devices[o.devices[int(rng.integers(len(o.devices)))]]
                old_id = w.ids[a]
                all_ids.discard(old_id)
                w.ids[a] = unique_snowflake(ct, rng.integers(0, 2**22), all_ids)
        non_sleep = [a for a in o.members if a not in set(o.sleepers)] or list(o.members)
        k = max(1, len(o.members) // 12)
        o.leaders = sorted(int(a) for a in rng.choice(non_sleep, min(k, len(non_sleep)), replace=False))
        if o.start_day > 0:
            for a in o.leaders:
                w.wake_ms[a] = max(int(w.wake_ms[a]), w.start_ms + o.start_day * DAY)
    return ops


def _alive(w: World, a: int, t: int) -> bool:
    return w.created_ms[a] <= t <= w.end_ms[a] and t >= w.wake_ms[a]


def _delay(rng, evasive: bool) -> int:
    if evasive:
        return int(min(rng.lognormal(np.log(45 * MINUTE), 1.0), 8 * HOUR))
    return int(3000 + min(rng.exponential(rng.uniform(30, 240) * 1000), 30 * MINUTE))


def operation_day(o: Operation, w: World, catalog: Catalog, day: int, rng, batch: Batch) -> None:
    if day < o.start_day:
        return
    d0 = w.start_ms + day * DAY
    d1 = d0 + DAY
    part = rng.uniform(0.25, 0.5) if o.evasive else rng.uniform(0.75, 0.95)
    cand = o.candidate
    members = o.members

    def caption(t):
        text = vary(o.narratives[int(rng.integers(len(o.narratives)))].format(cand=cand), rng)
        tags = list(o.hashtags) if o.has("hashtag_flooding") or rng.random() < 0.5 else [o.hashtags[-1]]
        urls = EMPTY
        if o.has("url_pushing") and rng.random() < 0.8:
            dom = o.domains[int(rng.integers(len(o.domains)))]
            urls = [f"https://{dom}/{int(rng.integers(1000, 99999))}/{cand.split()[-1].lower()}-exposed"]
            text = f"{text} {urls[0]}"
        text = text + " " + " ".join("#" + h for h in tags)
        sound = o.sound if o.has("sound_flooding") else -1
        return text, tags, urls, sound

    # seed posts by leaders, amplified by members
    seeds = []
    for _ in range(int(rng.integers(1, 4))):
        leader = o.leaders[int(rng.integers(len(o.leaders)))]
        t = d0 + int(rng.integers(4 * HOUR, 16 * HOUR))
        if not _alive(w, leader, t):
            continue
        text, tags, urls, sound = caption(t)
        vid = catalog.add_video(leader, t, 3.0, True, rng)
        batch.add(leader, t, POST, vid, -1, text, tags, EMPTY, urls, sound)
        seeds.append((vid, leader, t))
    # organic civic videos to pile onto
    civic = [i for i in range(max(0, len(catalog.ids) - 4000), len(catalog.ids))
             if catalog.civic[i] and catalog.post_ms[i] < d0 + 12 * HOUR and w.op[catalog.owner[i]] < 0]
    if civic:
        for j in rng.choice(len(civic), min(2, len(civic)), replace=False):
            v = civic[int(j)]
            seeds.append((v, catalog.owner[v], max(catalog.post_ms[v], d0 + int(rng.integers(2 * HOUR, 12 * HOUR)))))
    for vid, owner, t in seeds:
        if o.has("synchronized_amplification"):
            for a in members:
                if a == owner or rng.random() > part:
                    continue
                ta = t + _delay(rng, o.evasive)
                if ta < d1 and _alive(w, a, ta):
                    if rng.random() < 0.6:
                        batch.add(a, ta, SHARE, vid, owner, channel=int(rng.integers(3)))
                    else:
                        batch.add(a, ta, REPOST, vid, owner)
                tl = t + _delay(rng, o.evasive)
                if rng.random() < 0.7 and tl < d1 and _alive(w, a, tl):
                    batch.add(a, tl, LIKE, vid, owner)
        if o.has("copy_paste_comments"):
            base = o.comments[int(rng.integers(len(o.comments)))].format(cand=cand)
            for a in members:
                if a == owner or rng.random() > part * 0.8:
                    continue
                tc = t + _delay(rng, o.evasive) + int(rng.integers(0, 5 * MINUTE))
                if tc >= d1 or not _alive(w, a, tc):
                    continue
                text = vary(base, rng)
                tags = EMPTY
                mentions = EMPTY
                urls = EMPTY
                if rng.random() < 0.3:
                    tags = [o.hashtags[0]]
                    text += " #" + o.hashtags[0]
                if rng.random() < 0.2:
                    m = o.leaders[int(rng.integers(len(o.leaders)))]
                    mentions = [w.ids[m]]
                    text = f"@{w.ids[m]} {text}"
                if o.has("url_pushing") and rng.random() < 0.3:
                    urls = [f"https://{o.domains[0]}/{int(rng.integers(1000, 99999))}"]
                    text += " " + urls[0]
                batch.add(a, tc, COMMENT, vid, owner, text, tags, mentions, urls)
    # flooding posts
    if o.has("hashtag_flooding") or o.has("sound_flooding"):
        waves = [d0 + int(rng.integers(2 * HOUR, 20 * HOUR)) for _ in range(int(rng.integers(1, 3)))]
        lam = 0.5 if o.evasive else 1.5
        for a in members:
            for _ in range(int(rng.poisson(lam))):
                if o.evasive:
                    t = d0 + int(rng.integers(0, DAY))
                else:
                    t = waves[int(rng.integers(len(waves)))] + int(rng.exponential(10 * MINUTE))
                if t >= d1 or not _alive(w, a, t):
                    continue
                if o.has("hashtag_flooding"):
                    text, tags, urls, sound = caption(t)
                    if o.has("sound_flooding"):
                        sound = o.sound
                else:
                    g = w.group[a]
                    text = vocab.CAPTIONS[g][int(rng.integers(len(vocab.CAPTIONS[g])))]
                    tags, urls, sound = [vocab.CIVIC_HASHTAGS[0]], EMPTY, o.sound
                    text += " #" + tags[0]
                vid = catalog.add_video(a, t, 0.3, True, rng)
                batch.add(a, t, POST, vid, -1, text, tags, EMPTY, urls, sound)
    # follow rings
    if o.has("follow_ring"):
        if day == o.start_day:
            t0 = d0 + int(rng.integers(1 * HOUR, 18 * HOUR))
            for a in members:
                k = min(len(members) - 1, int(rng.integers(4, 16)))
                if o.evasive:
                    k = max(1, k // 3)
                others = [m for m in members if m != a]
                for b in rng.choice(others, k, replace=False):
                    t = (d0 + int(rng.integers(0, DAY))) if o.evasive else t0 + int(rng.exponential(20 * MINUTE))
                    if t < d1 and _alive(w, a, t):
                        batch.add(a, t, FOLLOW, -1, int(b))
        else:
            for a in members:
                if rng.random() < 0.15:
                    b = members[int(rng.integers(len(members)))]
                    t = d0 + int(rng.integers(0, DAY))
                    if b != a and _alive(w, a, t):
                        batch.add(a, t, FOLLOW, -1, b)
    # everyone follows the leaders early on
    if day == o.start_day:
        for a in members:
            for l in o.leaders:
                t = d0 + int(rng.integers(0, DAY))
                if a != l and rng.random() < part and _alive(w, a, t):
                    batch.add(a, t, FOLLOW, -1, l)


# ---------------------------------------------------------------- look-alikes

@dataclass
class FanClub:
    creator: int
    fans: list


def plan_fanclubs(w: World, rng) -> list[FanClub]:
    n = w.n
    k = int(np.clip(n // 2000, 2, 30))
    creators = np.flatnonzero(w.creator & (w.op < 0) & (w.created_ms < w.start_ms))
    if len(creators) == 0:
        return []
    chosen = rng.choice(creators, min(k, len(creators)), replace=False)
    organic = np.flatnonzero((w.op < 0) & ~w.creator)
    clubs = []
    used = np.zeros(n, dtype=bool)
    for c in chosen:
        size = int(np.clip(rng.integers(15, 81) * min(1.0, n / 5000), 8, 80))
        pool = organic[~used[organic]]
        if len(pool) < size:
            break
        fans = sorted(int(a) for a in rng.choice(pool, size, replace=False))
        used[fans] = True
        w.pop[int(c)] = max(float(w.pop[int(c)]), 2.0)
        clubs.append(FanClub(int(c), fans))
    return clubs


def fanclub_day(club: FanClub, w: World, catalog: Catalog, day: int, rng, batch: Batch) -> None:
    d0 = w.start_ms + day * DAY
    d1 = d0 + DAY
    c = club.creator
    g = w.group[c]
    for _ in range(int(rng.integers(1, 3))):
        t = d0 + int(rng.integers(2 * HOUR, 20 * HOUR))
        if not _alive(w, c, t):
            continue
        tags = [vocab.HASHTAGS[int(rng.integers(len(vocab.HASHTAGS)))] for _ in range(2)]
        text = vocab.CAPTIONS[g][int(rng.integers(len(vocab.CAPTIONS[g])))] + " " + " ".join("#" + h for h in tags)
        vid = catalog.add_video(c, t, 2.0, False, rng)
        batch.add(c, t, POST, vid, -1, text, tags)
        for a in club.fans:
            tl = t + int(rng.lognormal(np.log(90_000), 1.0))
            if rng.random() < 0.85 and tl < d1 and _alive(w, a, tl):
                batch.add(a, tl, LIKE, vid, c)
            tc = t + int(rng.lognormal(np.log(240_000), 1.0))
            if rng.random() < 0.35 and tc < d1 and _alive(w, a, tc):
                batch.add(a, tc, COMMENT, vid, c, vocab.FAN_COMMENTS[int(rng.integers(len(vocab.FAN_COMMENTS)))])
            ts = t + int(rng.lognormal(np.log(600_000), 1.2))
            if rng.random() < 0.15 and ts < d1 and _alive(w, a, ts):
                batch.add(a, ts, SHARE, vid, c, channel=int(rng.integers(3)))


def viral_day(w: World, catalog: Catalog, day: int, rng, batch: Batch) -> tuple[str, list]:
    """One viral video shared by thousands within minutes. Returns (video_id, sharer indices)."""
    d0 = w.start_ms + day * DAY
    d1 = d0 + DAY
    t = d0 + int(rng.integers(8 * HOUR, 12 * HOUR))
    cands = np.flatnonzero(w.creator & (w.op < 0) & (w.created_ms < t) & (w.end_ms > d1))
    top = cands[np.argsort(-w.pop[cands], kind="stable")[:20]]
    c = int(top[int(rng.integers(len(top)))])
    g = w.group[c]
    tags = ["fyp", "viral", vocab.HASHTAGS[int(rng.integers(len(vocab.HASHTAGS)))]]
    text = vocab.CAPTIONS[g][int(rng.integers(len(vocab.CAPTIONS[g])))] + " " + " ".join("#" + h for h in tags)
    vid = catalog.add_video(c, t, 50.0, False, rng)
    batch.add(c, t, POST, vid, -1, text, tags)
    ok = np.flatnonzero((w.op < 0) & (w.created_ms < t) & (w.wake_ms <= t) & (w.end_ms > d1))
    ok = ok[ok != c]
    m = len(ok)
    sharers = ok[rng.random(m) < 0.30]
    fast = rng.random(len(sharers)) < 0.75
    delays = np.where(fast, rng.lognormal(np.log(180_000), 0.9, len(sharers)),
                      rng.exponential(3 * HOUR, len(sharers))).astype(np.int64) + 2000
    chans = rng.integers(0, 3, len(sharers))
    kept = []
    for a, dl, ch in zip(sharers.tolist(), delays.tolist(), chans.tolist()):
        if t + dl < d1:
            batch.add(a, t + dl, SHARE, vid, c, channel=ch)
            kept.append(a)
    likers = ok[rng.random(m) < 0.35]
    ld = rng.lognormal(np.log(300_000), 1.3, len(likers)).astype(np.int64) + 1000
    for a, dl in zip(likers.tolist(), ld.tolist()):
        if t + dl < d1:
            batch.add(a, t + dl, LIKE, vid, c)
    commenters = ok[rng.random(m) < 0.03]
    cd = rng.lognormal(np.log(600_000), 1.2, len(commenters)).astype(np.int64) + 1000
    for a, dl in zip(commenters.tolist(), cd.tolist()):
        if t + dl < d1:
            batch.add(a, t + dl, COMMENT, vid, c, vocab.COMMENTS_SHORT[int(rng.integers(len(vocab.COMMENTS_SHORT)))])
    return catalog.ids[vid], kept
