"""outage_replay: production outages as public postmortems describe them, paged by a heterogeneous,
imperfect monitoring estate. Written blind to the correlation engine (nothing under
``src/opscontext/engine`` or any scoring module was read), from the postmortem patterns below.

The model
=========
A world is four hours of one production estate on a topology. 1-4 outages (the cell says how many)
start 50-130 minutes before ``now``; concurrent ones start within ``onset_gap_min`` of each other.
Each outage has a class, a root, and four per-incident draws (below). From the root the fault climbs
the dependency graph to callers (synchronous edges carry it with p=0.85, asynchronous ones with
p=0.5, at least one caller always, up to 4 levels, 5 callers per service and 12 services in all), the
farthest one degrading ``spread_min`` minutes after onset. What each reached service pages depends on
the class and on its role (root, caller, entry point, overloaded store, queue, producer); every
reached service, quiet or not, is written to ``World.degraded`` with when and which signals.

Outage classes (the postmortem patterns they follow)
----------------------------------------------------
* ``bad_deploy`` -- a release breaks one service. A deploy record on the root lands 1-12 min before
  onset in 85% of them; an innocent deploy elsewhere (half the time on a service that will page)
  lands 1-10 min before onset in half of all outages of every class. The root pages 5xx / crash
  loops; callers 5xx and latency.
* ``config_push`` -- a bad config or feature-flag revision: every consumer reloads it at once (the
  direct callers degrade within 30 s of each other). Through the shared flag/config service when the
  hub draw says so, else a service's own config. The pushing service, when it pages at all, shows
  only rejected reloads or error logs. Config / flag change record 0.5-5 min before onset (90%).
* ``cert_dns_secret`` -- an expired certificate (the root's TLS probe fails; clients see handshake
  errors), a broken DNS record (the root just sees less traffic; clients see NXDOMAIN), or a rotated
  credential on a store / auth / secret service (rejected logins; clients get 401/403).
* ``db_saturation`` -- database saturation or failover (store root: CPU, connections, replica lag)
  or connection-pool exhaustion in one service (its callers time out; the owner shows only a pool
  wait or rising latency).
* ``slow_burn`` -- a memory leak or a filling disk: caller latency and entry-point SLO burn alerts
  spread over 10-20 minutes; the root's own resource page comes 10-20 min after the first caller
  page, or, when the root pages first, it is a predictive (``predict_linear``-style) warning. The
  leaking release shipped 1-6 hours earlier (70%), outside any "just before" window.
* ``retry_storm`` -- a cache flush: the cache's callers fall through to their other stores, which
  saturate and page loudly (CPU, connections) although they are not the root.
* ``broker_backlog`` -- a broker backing up (the broker pages queue depth / disk; consumers lag) or a
  slow consumer (the broker's queue depth pages, other producers' publishes fail, the consumer lags).
* ``external`` -- a third-party provider outage behind an adapter service (named like payment, email,
  shipping, currency..., else a leaf, else a service calling only stores): the adapter pages provider
  errors, usually first.

Roots and shared hubs
---------------------
Shared hubs are the topology's infrastructure services (flags, config, broker, auth, mesh), topped up
to three with the highest in-degree non-entry services that have two or more callers. An innocent hub
pages only when a fault climbs through it as a caller (rare: hubs are called, not callers); chronic
noise lands on hubs three times as often as on other services. A hub draw
puts the root on a hub (preferring one whose kind suits the drawn class) and the hub's kind then sets
the class (flags/config -> config_push, broker -> broker_backlog, auth -> credential rotation, store ->
db_saturation, mesh -> certificate expiry). Other roots come from the class's own pool with the hubs
left out. The root choice keeps, in this order, a root outside earlier outages' reach, one with a
caller's caller (quiet-hop draws) and one with callers (silent / callers-first draws); constraints are
dropped one at a time only when nothing meets them all, and after that the class falls back along a
fixed chain (retry_storm -> db_saturation; broker -> slow consumer -> pool exhaustion; external ->
bad_deploy; then bad_deploy, slow_burn). Class fallbacks happen where the topology lacks the part: on
the four shared topologies (200 seeds) the retry_storm cell realises its class in ~70% of incidents
(one cache or session store per topology but hotel reservation's: a second concurrent outage falls
back), broker_backlog in ~34% (hotel reservation and online boutique have no broker), external ~82%;
the other class cells 95-99%. The hub_roots cell realises ~0.85 on topologies that have hubs and 0 on
hotel reservation, which has no service with two callers (~0.63 over the four shared topologies);
the config_push and broker_backlog cells' hub share of 0.5 likewise comes out at ~0.37 there.

The per-incident draws and where they are forced
-------------------------------------------------
Every share a cell states is drawn per incident from a low-discrepancy sequence over seeds
(:func:`evalkit.families.outage_cells.draw`), so any run of ~100 consecutive seeds realises it to
within a few points, independently of the other draws.

* silent root (``silent``) and root first (``root_first``) share one draw cut in three, so the
  root-first share holds among alerting roots whatever the silent share. Silent: the root's pages
  (its own and its host's) are dropped: forced, in exactly the drawn share; never when nothing else
  would page (``Forced.added``: 0% observed on the shared and synthetic topologies).
* root first (``root_first``, of alerting roots): two regimes. Root-first: the root pages an early
  symptom at onset + its rule's ``for`` + the lag; when a caller's page would still come first, every
  such page is pushed to 30-90 s after the root's first (``Forced.clamped``: 0-26% of incidents per
  cell on the shared topologies, most in root_leads and config_push where roots nearly always lead or
  consumers fail at once; 7-35% on 50-500-service synthetic shapes, where fan-out is wider).
  Callers-first: the root's late symptoms come 1-20 min (class-dependent; a flapping page up to 6 min
  more) after the first caller page, by construction (``Forced.delayed``: a safety net, 0% observed).
* quiet hop (``silent_hop``): at least one reached service in the middle of the path (a reached caller
  calls it) has no monitor that fires, and a caller above it still pages. When the fault did not climb
  two levels by chance, one more caller is added so the hop exists. Without the draw every reached
  service pages at least once (a series another outage already opened is re-opened on a replica of
  its own, the same rule firing on another pod).
* storm (``storm``): callers page per pod (3-6 pods), every symptom of their class, and on both teams'
  stacks when a second team watches them.
* hub root (``hub_root``): see above.
* noise: after the outages' pages are recorded, chronic noise is added until it is the stated share
  of all alerts (rounded by a low-discrepancy draw). A page that would fall after ``now`` is moved to
  a minute before it (``Forced.capped``, 0% observed).

The monitoring estate (:mod:`evalkit.families.outage_monitors`)
---------------------------------------------------------------
Each service has a primary stack -- Prometheus on Kubernetes 40% (service named by one of ``service``,
``app``, ``app_kubernetes_io_name``, ``job``, ``container``, ``kubernetes_deployment``, ``deployment``),
Datadog monitors 30% (``service``/``env``/``team`` tags, ``monitor_id``, ``alert_cycle_key``), CloudWatch
alarms 15% (``service_name`` as the ECS dimension or a ``service`` tag, ``namespace``, ``metric_name``,
``dimensions``), Grafana-managed rules 15% -- and 20% of services a second team's stack too (duplicate
monitors on one symptom, 0-90 s apart). Entry points add synthetic checks and SLO burn-rate alerts.
Resource symptoms of a root sometimes (35%) also page on its host, which several services share:
those alerts carry a host or instance only (half of the Prometheus ones the node exporter's ``job``),
1.5-5% of all alerts. 6% of pages flap: a Datadog monitor's second cycle is a new alert (the first
resolved), an Alertmanager series shows only its later firing. Detection is each rule's ``for``
(0.5-3 min) times 0.8-1.4 plus the cell's lag, aligned to a 30 s evaluation. No label or text of an
alert names any service but its own; no text word is a service name of any bundled topology.

Noise: chronic warnings and info alerts started minutes to 3 days before ``now`` (30% inside an
outage's window), flapping monitors, host alerts, failed batch jobs (attributed by ``job`` to
kube-state-metrics), certificates expiring in weeks; a quarter resolved. Changes: background deploys,
config and flag changes over 8 hours, the classes' causal changes above, innocent deploys just before.

``CELLS`` (:mod:`evalkit.families.outage_cells`) sweeps root-first 0.40-0.95, silent roots 0-0.30, quiet
hops 0.1-0.7, detection lag 0-5 min, storms 0.15-0.80, noise 0.10-0.40, 1-4 concurrent outages, hub
roots 0.10-0.85, spreads 0.5-20 min, and one cell per class. ``build`` returns the world with the
outage plans and what each had forced (for the tests and ``describe``-style audits).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from evalkit.classic.topologies import Topology
from evalkit.families.outage_cells import CELLS, OutageCell, draw, pick, root_draws
from evalkit.families.outage_monitors import KINDS, Estate, Series
from evalkit.families.outage_spread import Outage, choose_root, shared_hubs, spread, variant_of
from evalkit.families.outage_timeline import Forced, pages
from evalkit.world import (
    EPOCH,
    AlertBook,
    ChangeBook,
    Degraded,
    Graph,
    TrueIncident,
    World,
    background_changes,
    labelled_service,
    rescue,
)
from opscontext.fingerprint import fingerprint as book_fp

__all__ = ["CELLS", "Build", "OutageCell", "build", "generate"]

FAMILY = "outage_replay"
CAUSE: dict[tuple[str, str], str] = {
    ("bad_deploy", "deploy"): "bad deploy", ("config_push", "config"): "bad config push",
    ("config_push", "flag"): "bad feature-flag push", ("cert_dns_secret", "cert"): "certificate expiry",
    ("cert_dns_secret", "dns"): "broken dns record", ("cert_dns_secret", "secret"): "credential rotation",
    ("db_saturation", "store"): "database saturation", ("db_saturation", "pool"): "connection pool exhaustion",
    ("slow_burn", "leak"): "memory leak", ("slow_burn", "disk"): "disk filling",
    ("retry_storm", "flush"): "cache flush retry storm", ("broker_backlog", "broker"): "broker backlog",
    ("broker_backlog", "consumer"): "slow consumer backlog", ("external", "provider"): "third-party outage",
}
NOISE_KINDS = ("latency", "log_errors", "memory", "disk_trend", "cpu", "consumer_lag", "cache_miss", "repl_lag",
               "errors", "crashloop", "cert_soon", "traffic_drop")


@dataclass
class Build:
    """A world and how it was made: the outage plans and what each had forced."""

    world: World
    outages: list[Outage]
    forced: list[Forced]


def generate(topology: Topology, seed: int, params: OutageCell, cell: str = "") -> World:
    """One world. ``cell``: the cell's name (the harness passes only its parameters; the name is
    then looked up, so both calls give the same world)."""
    return build(topology, seed, params, cell).world


def _service(labels: Mapping[str, str]) -> str:
    return labelled_service(labels) or ""


def build(topology: Topology, seed: int, params: OutageCell, cell: str = "") -> Build:
    cell = cell or next((name for name, p in CELLS.items() if p == params), "")
    rng = random.Random(f"{FAMILY}|{cell}|{topology.name}|{seed}")
    g = Graph.of(topology)
    hubs = shared_hubs(g)
    now = EPOCH + timedelta(hours=4)
    lo, hi = params.concurrent
    k = lo + min(hi - lo, int(draw("k", seed) * (hi - lo + 1)))
    start = now - timedelta(minutes=rng.uniform(75.0, 130.0))
    outages: list[Outage] = []
    taken: set[str] = set()
    reached: set[str] = set()
    for j in range(k):
        cls = pick(params.classes, draw("class", seed, j))
        onset = start + timedelta(minutes=rng.uniform(0.0, params.onset_gap_min) if j else 0.0)
        silent, first = root_draws(params, seed, j)
        o = Outage(j, cls, variant_of(cls, rng.random()), "", onset, False, silent=silent, root_first=first,
                   quiet_hop=draw("hop", seed, j) < params.silent_hop,
                   storm=draw("storm", seed, j) < params.storm, lag=params.lag_min)
        choose_root(g, o, draw("hub", seed, j) < params.hub_root, hubs, taken, reached, rng)
        spread(g, o, rng.uniform(*params.spread_min), rng)
        taken.add(o.root)
        reached |= set(o.reach)
        outages.append(o)

    estate = Estate(g, rng)
    degraded: Degraded = {}
    made = [pages(o, estate, params, now, degraded, rng) for o in outages]
    forced = [f for _, f in made]
    book = AlertBook(now)
    owned = _claim(book, [s for s, _ in made], outages, rng)
    n_incident = len(book.alerts)
    noise = _noise(book, g, estate, hubs, outages, params, seed, n_incident, rng)

    changes = ChangeBook(rng)
    live = [n for n in g.names if not g.is_loadgen(n)]
    background_changes(changes, live, now - timedelta(hours=8), now, 6 + min(20, len(live) // 6))
    for o in outages:
        _changes(changes, o, live, seed, rng)

    by_fp = {a.fingerprint: a for a in book.alerts}
    incidents = [
        TrueIncident(
            id=f"{FAMILY}-{seed}-{o.j}", root=o.root, fingerprints=frozenset(fps), onset=o.onset,
            root_silent=not any(by_fp[fp].service == o.root for fp in fps), cause=CAUSE[(o.cls, o.variant)],
        )
        for o, fps in zip(outages, owned, strict=True)
    ]
    world = World(
        family=FAMILY, cell=cell, topology=topology.name, seed=seed, services=topology.services,
        edges=topology.edges, alerts=sorted(book.alerts, key=lambda a: (a.starts_at, a.fingerprint)),
        changes=sorted(changes.changes, key=lambda c: (c.at, c.id)), incidents=incidents,
        noise=frozenset(noise), now=now, degraded=degraded,
    )
    return Build(world, outages, forced)


def _claim(book: AlertBook, series: list[list[Series]], outages: list[Outage], rng: random.Random) -> list[set[str]]:
    """Record each outage's series: roots' own pages first, then in time order. A series two outages
    both open belongs to the first to record it; an outage left with nothing gets one of its pages
    on a replica of its own (a different pod)."""
    flat = sorted(
        ((s, k) for k, one in enumerate(series) for s in one),
        key=lambda x: (_service(x[0][0]) != outages[x[1]].root, x[0][1], x[1]),
    )
    owned: list[set[str]] = [set() for _ in series]
    for (labels, t, ends, summary, _, runbook), k in flat:
        fp = book.add(labels, t, summary=summary, ends_at=ends, runbook=runbook)
        if fp:
            owned[k].add(fp)
    # A service that pages for an outage but whose every series another outage already opened shows
    # it on a replica of its own: the same rule firing on another pod is a distinct series.
    for k, one in enumerate(series):
        mine = {book_fp(s[0]) for s in one} & owned[k]
        seen = {s[4] for s in one if book_fp(s[0]) in mine}
        for origin in dict.fromkeys(s[4] for s in one):
            if origin in seen:
                continue
            fp = rescue(book, [(s[0], s[1], s[2], s[3]) for s in one if s[4] == origin], rng, _named(origin))
            if fp:
                owned[k].add(fp)
    return owned


def _named(origin: str) -> Callable[[Mapping[str, str]], str]:
    def service_of(labels: Mapping[str, str]) -> str:
        return _service(labels) or origin

    return service_of


def _noise(book: AlertBook, g: Graph, estate: Estate, hubs: tuple[str, ...], outages: list[Outage],
           params: OutageCell, seed: int, n_incident: int, rng: random.Random) -> set[str]:
    """Chronic noise: old warnings still firing, flapping monitors, host alerts, failed batch jobs,
    certificates expiring in weeks; a share of it lands inside the outages' windows."""
    q = params.noise
    want = int(q / (1.0 - q) * n_incident + draw("noise", seed)) if q > 0 else 0
    names = [n for n in g.names if not g.is_loadgen(n)]
    weights = [3.0 if n in hubs else 1.0 for n in names]
    now = book.now
    out: set[str] = set()
    for _ in range(4 * want):
        if len(out) >= want:
            break
        svc = rng.choices(names, weights)[0]
        r = rng.random()
        if r < 0.3:
            o = rng.choice(outages)
            t = o.onset + timedelta(minutes=rng.uniform(-10.0, 20.0))
        elif r < 0.8:
            t = now - timedelta(minutes=rng.uniform(1.0, 240.0))
        else:
            t = now - timedelta(hours=rng.uniform(6.0, 72.0))
        t = min(t, now - timedelta(minutes=1))
        pick_kind = rng.random()
        if pick_kind < 0.15:
            labels, runbook = estate.host(svc, rng.choice(("cpu", "memory", "disk")))
            one: list[Series] = [(labels, t, None, KINDS["host_disk"][4].replace("{v}", str(rng.randint(0, 9))),
                                  svc, runbook)]
        elif pick_kind < 0.25:
            w = estate.watch[svc]
            labels = {"alertname": "KubeJobFailed", "severity": "warning", "job": "kube-state-metrics",
                      "namespace": w.ns, "job_name": f"nightly-{rng.choice(('export', 'compact', 'reindex'))}-"
                      f"{rng.randint(28000000, 29999999)}"}
            one = [(labels, t, None, f"Job {w.ns}/{labels['job_name']} did not complete", svc, True)]
        else:
            one = estate.page(svc, rng.choice(NOISE_KINDS), t, dup=False, flap=0.3)
        for labels, at, ends, summary, _, runbook in one:
            if labels.get("severity") == "critical" and rng.random() < 0.6:
                labels = dict(labels, severity="warning")
            if ends is None and rng.random() < 0.25:
                ends = at + timedelta(minutes=rng.uniform(2.0, 30.0))
            fp = book.add(labels, min(at, now), summary=summary, ends_at=ends, runbook=runbook)
            if fp and len(out) < want:
                out.add(fp)
            elif fp:
                book.alerts.pop()
    return out


def _changes(book: ChangeBook, o: Outage, live: list[str], seed: int, rng: random.Random) -> None:
    """The change behind the outage (when the class has one and it was recorded), and an innocent
    change shortly before onset elsewhere."""
    t0 = o.onset
    u = rng.random()
    mins = rng.uniform
    if o.cls == "bad_deploy" and u < 0.85:
        book.add(o.root, "deployment", t0 - timedelta(minutes=mins(1.0, 12.0)))
    elif o.cls == "config_push" and u < 0.9:
        book.add(o.root, "feature-flag" if o.variant == "flag" else "config", t0 - timedelta(minutes=mins(0.5, 5.0)))
    elif o.cls == "cert_dns_secret":
        if o.variant == "secret" and u < 0.6:
            book.add(o.root, "config", t0 - timedelta(minutes=mins(2.0, 15.0)), f"Rotate {o.root} credentials")
        elif o.variant == "dns" and u < 0.5:
            book.add(None, "infrastructure", t0 - timedelta(minutes=mins(1.0, 10.0)), "Update prod DNS zone records")
    elif o.cls == "db_saturation" and u < 0.4:
        kind = "config" if o.variant == "pool" else "infrastructure"
        book.add(o.root, kind, t0 - timedelta(minutes=mins(2.0, 15.0)))
    elif o.cls == "slow_burn" and u < 0.7:
        book.add(o.root, "deployment", t0 - timedelta(minutes=mins(60.0, 360.0)))  # the leak shipped hours ago
    elif o.cls == "retry_storm" and u < 0.6:
        book.add(o.root, "config", t0 - timedelta(minutes=mins(0.5, 6.0)), f"Flush {o.root} keyspace")
    elif o.cls == "broker_backlog" and u < 0.45:
        kind = "deployment" if o.variant == "consumer" else "upgrade"
        book.add(o.root, kind, t0 - timedelta(minutes=mins(2.0, 15.0)))
    if draw("innocent", seed, o.j) < 0.5:
        near = sorted(n for n in o.reach if n != o.root)
        svc = rng.choice(near) if near and rng.random() < 0.5 else rng.choice([n for n in live if n != o.root])
        book.add(svc, "deployment", t0 - timedelta(minutes=mins(1.0, 10.0)))
