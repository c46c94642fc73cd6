"""The synthetic population: accounts, profiles, devices and network infrastructure.

All per-account attributes are numpy arrays or Python lists indexed by the
account index 0..n-1, built from one seeded numpy Generator, in a fixed order.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import vocab

DAY = 86_400_000
HOUR = 3_600_000
MINUTE = 60_000
NEVER = np.iinfo(np.int64).max // 4
SNOWFLAKE_EPOCH = 1_262_304_000_000  # 2010-01-01T00:00:00Z


def snowflake(ms: int, rnd: int) -> str:
    return str(((int(ms) - SNOWFLAKE_EPOCH) << 22) | (int(rnd) & 0x3FFFFF))


def unique_snowflake(ms: int, rnd: int, seen: set) -> str:
    """A snowflake id not in `seen` (probing upward from rnd), added to `seen`."""
    r = int(rnd)
    sid = snowflake(ms, r)
    while sid in seen:
        r += 1
        sid = snowflake(ms, r)
    seen.add(sid)
    return sid


@dataclass
class World:
    n: int
    start_ms: int
    days: int
    ids: list = field(default_factory=list)
    username: list = field(default_factory=list)
    display_name: list = field(default_factory=list)
    bio: list = field(default_factory=list)
    email: list = field(default_factory=list)
    lang: list = field(default_factory=list)
    group: list = field(default_factory=list)          # name/text language group
    country: np.ndarray = None                          # index into vocab.COUNTRIES
    tz: np.ndarray = None                               # hours offset
    created_ms: np.ndarray = None
    end_ms: np.ndarray = None                           # deleted / banned at
    wake_ms: np.ndarray = None                          # sleepers: no activity before
    rate: np.ndarray = None                             # expected organic events per day
    creator: np.ndarray = None
    pop: np.ndarray = None                              # creator popularity
    verified: np.ndarray = None
    signup_ip: list = field(default_factory=list)
    signup_dev: list = field(default_factory=list)
    avatar: list = field(default_factory=list)
    op: np.ndarray = None                               # operation index or -1
    # infrastructure
    home_ip: list = field(default_factory=list)
    home_ip6: list = field(default_factory=list)
    home_asn: np.ndarray = None
    nat_pool: np.ndarray = None
    dev1: np.ndarray = None
    dev2: np.ndarray = None
    hh_dev: np.ndarray = None
    household: np.ndarray = None
    devices: list = field(default_factory=list)         # device id strings
    dev_ua: list = field(default_factory=list)
    nat_pools: list = field(default_factory=list)       # (asn, "a.b.c.", country)
    households: list = field(default_factory=list)      # lists of member indices
    used_usernames: set = field(default_factory=set)
    stock_avatars: tuple = ()


def _hex16(rng) -> str:
    return f"{int(rng.integers(0, 2**63)):016x}"


def new_device(world: World, rng, model_idx: int | None = None, app_version: str | None = None,
               web: bool = False) -> int:
    did = f"{int(rng.integers(0, 2**62)):016x}{int(rng.integers(0, 2**30)):08x}"[:24]
    if web:
        ua = vocab.WEB_UAS[int(rng.integers(len(vocab.WEB_UAS)))]
    else:
        if model_idx is None:
            model_idx = int(rng.integers(len(vocab.DEVICE_MODELS)))
        model, os_ = vocab.DEVICE_MODELS[model_idx]
        ver = app_version or vocab.APP_VERSIONS[int(rng.integers(len(vocab.APP_VERSIONS)))]
        ua = f"ShortVid/{ver} ({model}; {os_}; Mobile)"
    world.devices.append(did)
    world.dev_ua.append(ua)
    return len(world.devices) - 1


def unique_username(world: World, base: str, rng) -> str:
    name = base[:60]
    while name in world.used_usernames:
        name = f"{base[:54]}{int(rng.integers(10, 99999))}"
    world.used_usernames.add(name)
    return name


def organic_username(rng, group: str) -> str:
    first = vocab.FIRST[group]
    last = vocab.LAST[group]
    f = first[int(rng.integers(len(first)))]
    l = last[int(rng.integers(len(last)))]
    w = vocab.WORDS[int(rng.integers(len(vocab.WORDS)))]
    k = int(rng.integers(10))
    if k == 0:
        return f"{f}.{l}"
    if k == 1:
        return f"{f}{l}"
    if k == 2:
        return f"{f}_{l}{int(rng.integers(1, 99))}"
    if k == 3:
        return f"{f}{int(rng.integers(1975, 2012))}"
    if k == 4:
        return f"{w}{f}"
    if k == 5:
        return f"{f}{int(rng.integers(100, 99999))}"  # looks like a patterned bot name
    if k == 6:
        return f"{w}_{w if rng.random() < 0.2 else vocab.WORDS[int(rng.integers(len(vocab.WORDS)))]}"
    if k == 7:
        return f"the.{f}.{w}"
    if k == 8:
        return f"{f}{l[:1]}_{int(rng.integers(0, 999))}"
    return f"x{f}{w}x"


def random_ip(rng, pair) -> str:
    return f"{pair[0]}.{pair[1]}.{int(rng.integers(0, 256))}.{int(rng.integers(1, 255))}"


def build_world(rng: np.random.Generator, n: int, start_ms: int, days: int) -> World:
    w = World(n=n, start_ms=start_ms, days=days)
    cweights = np.array([c[1] for c in vocab.COUNTRIES], dtype=float)
    w.country = rng.choice(len(vocab.COUNTRIES), size=n, p=cweights / cweights.sum())
    w.tz = np.array([vocab.COUNTRIES[c][3] for c in w.country])
    # creation times: most accounts predate the window, ~1.2 %/day are new
    new = rng.random(n) < min(0.5, 0.012 * days)
    age_days = np.clip(rng.lognormal(np.log(400), 1.0, n), 1.0, 9 * 365)
    created = start_ms - (age_days * DAY).astype(np.int64) - rng.integers(0, DAY, n)
    created_new = start_ms + rng.integers(0, days * DAY - HOUR, n)
    w.created_ms = np.where(new, created_new, created).astype(np.int64)
    w.end_ms = np.full(n, NEVER, dtype=np.int64)
    w.wake_ms = np.zeros(n, dtype=np.int64)
    w.creator = rng.random(n) < 0.08
    act = rng.lognormal(0.0, 1.3, n)
    act /= act.mean()
    dormant = rng.random(n) < 0.10
    w.rate = np.where(dormant, 0.05, act * 3.1) * np.where(w.creator, 1.4, 1.0)
    w.pop = np.where(w.creator, rng.pareto(1.2, n) + 0.2, 0.0)
    w.verified = w.creator & (w.pop > np.quantile(w.pop[w.creator], 0.97) if w.creator.any() else False)
    w.op = np.full(n, -1, dtype=np.int64)

    edom = [d for d, _ in vocab.EMAIL_DOMAINS]
    eweights = np.array([x for _, x in vocab.EMAIL_DOMAINS], dtype=float)
    email_pick = rng.choice(len(edom), size=n, p=eweights / eweights.sum())
    no_email = rng.random(n) < 0.12
    w.stock_avatars = tuple(_hex16(rng) for _ in range(6))
    for i in range(n):
        c = vocab.COUNTRIES[int(w.country[i])]
        group = c[4]
        w.group.append(group)
        w.lang.append(c[2] if rng.random() < 0.9 else "en")
        uname = unique_username(w, organic_username(rng, group), rng)
        w.username.append(uname)
        r = rng.random()
        if r < 0.15:
            w.display_name.append(None)
        elif r < 0.6:
            parts = uname.replace("_", " ").replace(".", " ").split()
            w.display_name.append(" ".join(p.capitalize() for p in parts) if parts else uname)
        else:
            w.display_name.append(uname)
        w.bio.append(vocab.BIOS[int(rng.integers(len(vocab.BIOS)))] if rng.random() < 0.6 else None)
        w.email.append(None if no_email[i] else edom[int(email_pick[i])])
        r = rng.random()
        if r < 0.28:
            w.avatar.append(None)
        elif r < 0.30:
            w.avatar.append(w.stock_avatars[int(rng.integers(len(w.stock_avatars)))])
        else:
            w.avatar.append(_hex16(rng))
        w.signup_ip.append(None)
        w.signup_dev.append(None)
    # unique account ids, snowflake-like (time ordered by creation)
    rnd = rng.integers(0, 2**22, n)
    seen = set()
    for i in range(n):
        w.ids.append(unique_snowflake(w.created_ms[i], rnd[i], seen))
    return w


def build_infrastructure(w: World, rng: np.random.Generator, lookalike_groups: list) -> None:
    """Households, carrier NAT pools, devices, signup ip/device for every account.

    Must run after operations claimed their members (w.op set), so households
    and NAT pools are organic. Appends household and carrier_nat look-alike groups.
    """
    n = w.n
    res_by_cc = {}
    for asn, cc, pairs in vocab.RESIDENTIAL:
        res_by_cc.setdefault(cc, []).append((asn, pairs))
    mob_by_cc = {}
    for asn, cc, pair in vocab.MOBILE:
        mob_by_cc.setdefault(cc, []).append((asn, pair))
    w.home_asn = np.zeros(n, dtype=np.int64)
    w.home_ip = [None] * n
    w.home_ip6 = [None] * n
    w.household = np.full(n, -1, dtype=np.int64)
    w.hh_dev = np.full(n, -1, dtype=np.int64)
    w.dev1 = np.zeros(n, dtype=np.int64)
    w.dev2 = np.full(n, -1, dtype=np.int64)
    w.nat_pool = np.zeros(n, dtype=np.int64)

    # carrier NAT pools: many unrelated accounts per /24 on a mobile ASN
    per_pool = 150
    pools_by_cc = {}
    for cc_idx, c in enumerate(vocab.COUNTRIES):
        members = np.flatnonzero(w.country == cc_idx)
        if len(members) == 0:
            continue
        k = max(1, len(members) // per_pool)
        ops = mob_by_cc[c[0]]
        ids = []
        for j in range(k):
            asn, pair = ops[j % len(ops)]
            prefix = f"{pair[0]}.{pair[1]}.{int(rng.integers(0, 256))}."
            w.nat_pools.append((asn, prefix, c[0]))
            ids.append(len(w.nat_pools) - 1)
        pools_by_cc[cc_idx] = ids
        w.nat_pool[members] = np.array(ids)[rng.integers(0, k, len(members))]

    # households: ~30 % of organic accounts live with 1-4 others of the same country
    organic = np.flatnonzero(w.op < 0)
    order = organic[np.lexsort((rng.random(len(organic)), w.country[organic]))]
    i = 0
    while i < len(order):
        cc_idx = int(w.country[order[i]])
        if rng.random() < 0.14:
            size = int(rng.integers(2, 6))
            grp = [int(x) for x in order[i:i + size] if w.country[x] == cc_idx]
        else:
            grp = [int(order[i])]
        i += max(1, len(grp))
        c = vocab.COUNTRIES[cc_idx]
        asn, pairs = res_by_cc[c[0]][int(rng.integers(len(res_by_cc[c[0]])))]
        ip = random_ip(rng, pairs[int(rng.integers(len(pairs)))])
        ip6 = f"2a0{int(rng.integers(1, 9))}:{int(rng.integers(0x1000, 0xffff)):x}:{int(rng.integers(0, 0xffff)):x}"
        shared = new_device(w, rng) if len(grp) > 1 and rng.random() < 0.6 else -1
        for a in grp:
            w.home_asn[a] = asn
            w.home_ip[a] = ip
            w.home_ip6[a] = ip6
            w.hh_dev[a] = shared
        if len(grp) > 1:
            hid = len(w.households)
            w.households.append(grp)
            w.household[grp] = hid
    for gi, grp in enumerate(w.households):
        lookalike_groups.append({"group_id": f"household-{gi:05d}", "kind": "household",
                                 "members": [w.ids[a] for a in sorted(grp)]})
    for pi, (asn, prefix, cc) in enumerate(w.nat_pools):
        members = np.flatnonzero((w.nat_pool == pi) & (w.op < 0))
        if len(members) >= 20:
            lookalike_groups.append({"group_id": f"carrier-nat-{pi:04d}", "kind": "carrier_nat",
                                     "asn": asn, "ip_prefix": prefix + "0/24",
                                     "members": [w.ids[a] for a in members]})
    # devices for every organic account (ops set theirs already, dev1 >= 0 check)
    for a in range(n):
        if w.op[a] >= 0 and w.home_ip[a] is not None:
            continue
        if w.op[a] >= 0:
            # op members keep an organic-looking home (evasive ops use it)
            c = vocab.COUNTRIES[int(w.country[a])]
            asn, pairs = res_by_cc[c[0]][int(rng.integers(len(res_by_cc[c[0]])))]
            w.home_asn[a] = asn
            w.home_ip[a] = random_ip(rng, pairs[int(rng.integers(len(pairs)))])
            w.home_ip6[a] = f"2a0{int(rng.integers(1, 9))}:{int(rng.integers(0x1000, 0xffff)):x}:{int(rng.integers(0, 0xffff)):x}"
        w.dev1[a] = new_device(w, rng, web=rng.random() < 0.05)
        if rng.random() < 0.25:
            w.dev2[a] = new_device(w, rng, web=rng.random() < 0.4)
        if w.signup_ip[a] is None:
            w.signup_ip[a] = w.home_ip[a] if rng.random() < 0.7 else (
                w.nat_pools[int(w.nat_pool[a])][1] + str(int(rng.integers(1, 255))))
            w.signup_dev[a] = w.devices[int(w.dev1[a])] if rng.random() < 0.85 else None
