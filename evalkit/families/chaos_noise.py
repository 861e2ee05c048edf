"""Alerts of a chaos_bench world that no fault explains, and its changes.

Noise is drawn from its own random stream over the whole window, on any service (a fault's root
or callers included), never timed or placed after a fault:

* ``chronic`` (30 %): warnings firing for hours before the window opens and still firing:
  CPUThrottlingHigh on a pod, KubeJobFailed on a CronJob run (kube-state-metrics' own labels),
  NodeFilesystemSpaceFillingUp labelled only by a node's instance, KubeHpaMaxedOut;
* ``flap`` (25 %): a latency or error rule crossing its threshold for one to five minutes;
* ``blip`` (15 %): one pod restarting (not ready for a minute or two, sometimes OOMKilled);
* ``load`` (15 %): a load-test spike: an entry point and one to three services below it slow
  for a few minutes together (a correlated cluster of noise);
* ``rollout`` (15 %): an innocent deploy's rollout hiccup: the deployed service not ready or
  erroring one to three minutes after its change.
"""

from __future__ import annotations

import random

from evalkit.families.chaos_rules import (
    ERRORS,
    LATENCY,
    OOM,
    SATURATION,
    UNAVAILABLE,
    Estate,
    Rule,
    describe,
    labels,
)
from evalkit.world import Graph

HOUR = 3600.0
Series = tuple[dict[str, str], float, float | None, str, str]  # labels, start, end, summary, description


def _rule(prof_rules: tuple[Rule, ...], kind: str) -> Rule | None:
    return next((r for r in prof_rules if r.kind == kind and r.source in ("app", "exporter")), None)


def _watched(estate: Estate, pool: list[str], rng: random.Random, kube: bool) -> str | None:
    """A random service some rule watches (kube rules if ``kube``, else request rules); a few tries."""
    for _ in range(6):
        name = rng.choice(pool)
        cov = estate.profile(name).coverage
        if (cov in ("full", "kube")) if kube else (cov in ("full", "exporter")):
            return name
    return None


_CHRONIC_CPU = Rule("CPUThrottlingHigh", SATURATION, "kube", 900, 0.25, 300, "info", True,
                    "Processes experience elevated CPU throttling.")
_BLIP = Rule("KubePodNotReady", UNAVAILABLE, "kube", 60, 0.5, 0, "warning", True,
             "Pod has been in a non-ready state for too long.")
_HPA = Rule("KubeHpaMaxedOut", SATURATION, "kube", 900, 0.5, 0, "warning", False, "HPA is running at max replicas")
_BLIP_OOM = Rule("KubeContainerOOMKilled", OOM, "kube", 0, 0.5, 0, "warning", True, "Container was OOMKilled")
_JOBS = ("db-backup", "report-export", "cache-warmup", "cleanup-sessions", "sitemap-build", "invoice-batch")
_MOUNTS = (("/", "/dev/nvme0n1p1", "ext4"), ("/var/lib/containerd", "/dev/nvme1n1", "xfs"),
           ("/var/log", "/dev/sda1", "ext4"))


def noise_episode(
    kind: str, estate: Estate, g: Graph, rng: random.Random, now: float, deploys: list[tuple[str, float]],
) -> list[Series]:
    """One noise episode's series (unrecorded; the caller dedups and counts them)."""
    pool = [n for n in g.names if not g.is_loadgen(n)]
    if kind == "chronic":
        return _chronic(estate, pool, rng)
    if kind == "flap":
        return _flap(estate, pool, rng, now)
    if kind == "blip":
        return _blip(estate, pool, rng, rng.uniform(0, now - 60))
    if kind == "load":
        return _load(estate, g, pool, rng, now)
    if not deploys:  # rollout, with no innocent deploy to follow
        return _blip(estate, pool, rng, rng.uniform(0, now - 60))
    return _rollout(estate, rng, *rng.choice(deploys))


def _chronic(estate: Estate, pool: list[str], rng: random.Random) -> list[Series]:
    what = rng.random()
    start = -rng.uniform(1, 9) * HOUR
    name = _watched(estate, pool, rng, kube=True)
    if what < 0.4 and name:
        p = estate.profile(name)
        pod = rng.randrange(len(p.pods))
        return [(labels(estate, p, _CHRONIC_CPU, pod), start, None, _CHRONIC_CPU.summary,
                 describe(_CHRONIC_CPU, p, pod, 0.4))]
    if what < 0.6:
        ns = rng.choice(estate.ns_app)
        job = f"{rng.choice(_JOBS)}-{rng.randrange(28_900_000, 29_100_000)}"
        lab = {"alertname": "KubeJobFailed", "severity": "warning", "namespace": ns, "job_name": job,
               "job": "kube-state-metrics", **estate.external}
        return [(lab, start, None, "Job failed to complete.",
                 f"Job {ns}/{job} failed to complete. Removing the failed job after investigation "
                 "should clear this alert.")]
    if what < 0.8:
        mount, device, fstype = rng.choice(_MOUNTS)
        inst = f"{estate.net}.{rng.randrange(0, 255)}.{rng.randrange(2, 254)}:9100"
        lab = {"alertname": "NodeFilesystemSpaceFillingUp", "severity": "warning", "instance": inst,
               "mountpoint": mount, "device": device, "fstype": fstype}
        return [(lab, start, None, "Filesystem is predicted to run out of space within the next 24 hours.",
                 f"Filesystem on {device}, mounted on {mount}, at {inst} has only {rng.randint(12, 24)}% "
                 "available space left and is filling up.")]
    if name is None:
        return []
    p = estate.profile(name)
    return [(labels(estate, p, _HPA, None, {"horizontalpodautoscaler": p.name}), start, None, _HPA.summary,
             f"HPA {p.namespace}/{p.name} has been running at max replicas for longer than 15 minutes.")]


def _flap(estate: Estate, pool: list[str], rng: random.Random, now: float) -> list[Series]:
    name = _watched(estate, pool, rng, kube=False)
    if name is None:
        return []
    p = estate.profile(name)
    rule = _rule(p.rules, rng.choice((LATENCY, ERRORS))) or _rule(p.rules, LATENCY) or _rule(p.rules, ERRORS)
    if rule is None:
        return []
    start = rng.uniform(0, now - 60)
    pod = rng.randrange(len(p.pods)) if rule.per_pod else None
    x = rule.thr * rng.uniform(1.2, 3)
    return [(labels(estate, p, rule, pod), start, start + rng.uniform(1, 5) * 60, rule.summary,
             describe(rule, p, pod, x))]


def _blip(estate: Estate, pool: list[str], rng: random.Random, start: float, name: str | None = None) -> list[Series]:
    name = name or _watched(estate, pool, rng, kube=True)
    if name is None:
        return []
    p = estate.profile(name)
    pod = rng.randrange(len(p.pods))
    out: list[Series] = [(labels(estate, p, _BLIP, pod), start, start + rng.uniform(1, 2.5) * 60, _BLIP.summary,
                          describe(_BLIP, p, pod, 1 / len(p.pods)))]
    if rng.random() < 0.4:
        out.append((labels(estate, p, _BLIP_OOM, pod), start - rng.uniform(5, 30), start + rng.uniform(5, 15) * 60,
                    _BLIP_OOM.summary, describe(_BLIP_OOM, p, pod, 1.0)))
    return out


def _load(estate: Estate, g: Graph, pool: list[str], rng: random.Random, now: float) -> list[Series]:
    head = rng.choice([e for e in g.entries if g.callees[e]] or pool)
    below = sorted(g.callees[head])
    start = rng.uniform(0, now - 120)
    out: list[Series] = []
    for name in [head, *rng.sample(below, min(len(below), rng.randint(1, 3)))]:
        p = estate.profile(name)
        rule = _rule(p.rules, LATENCY)
        if rule is None:
            continue
        pod = rng.randrange(len(p.pods)) if rule.per_pod else None
        t = start + rng.uniform(0, 90)
        out.append((labels(estate, p, rule, pod), t, t + rng.uniform(3, 8) * 60, rule.summary,
                    describe(rule, p, pod, rule.thr * rng.uniform(1.5, 4))))
    return out


def _rollout(estate: Estate, rng: random.Random, name: str, at: float) -> list[Series]:
    p = estate.profile(name)
    start = at + rng.uniform(1, 3) * 60
    rule = _rule(p.rules, ERRORS) if rng.random() < 0.5 else None
    if rule is None:
        return _blip(estate, [], rng, start, name) if p.coverage in ("full", "kube") else []
    pod = rng.randrange(len(p.pods)) if rule.per_pod else None
    return [(labels(estate, p, rule, pod), start, start + rng.uniform(1, 4) * 60, rule.summary,
             describe(rule, p, pod, rule.thr * 2))]


KINDS = ("chronic", "flap", "blip", "load", "rollout")
WEIGHTS = (0.30, 0.25, 0.15, 0.15, 0.15)
