"""Held-out evaluation worlds for alert correlation (dev-only, never shipped).

Scenario families written from assumptions independent of ``evalkit.classic.scenario``:

* :mod:`evalkit.families.metric_rules` — Prometheus rules over degrading metrics.
* :mod:`evalkit.families.fault_injection` — chaos runs on an OpenTelemetry-demo-like system.
* :mod:`evalkit.families.request_flow` — rules evaluated over simulated request traffic and metrics.
* :mod:`evalkit.families.span_traces` — requests as traces; rules over OpenTelemetry span metrics.
* :mod:`evalkit.families.chaos_bench` — Chaos Mesh experiments of public RCA benchmarks, written blind to the engine.
* :mod:`evalkit.families.outage_replay` — production outages as postmortems tell them, written blind to the engine.
* :mod:`evalkit.shapes` — synthetic topology shapes (flat, deep, hub, mesh, layered).
"""
