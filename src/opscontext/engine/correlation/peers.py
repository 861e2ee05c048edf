"""Labels that name the service an alert's failing calls go to, and what they name.

Client-side telemetry says where a request went: an OpenTelemetry client span
(``oteldemo.CartService/GetCart``, ``peer_service``, ``server_address``), a database client
(``db_system``, ``db_name``), a service mesh (Istio's ``destination_workload``, Linkerd's
``dst_deployment``, Envoy's ``envoy_cluster_name``). Two parts of the engine read them:
ranking, where a caller naming a quiet service is that service seen failing from outside
(:mod:`.candidates`), and grouping, where a caller failing for two incidents at once sends each
such alert to the incident of the service it names (:mod:`.fit`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from opscontext.engine.correlation.dedup import UniqueAlert
from opscontext.engine.correlation.named_changes import NameIndex

# Label names that, by common convention (Prometheus client and exporter labels, OpenTelemetry
# attributes flattened by the collector, service-mesh metrics), name another service an alert is
# about: the database, the peer or upstream called, the topic or queue behind it.
PEER_LABELS = frozenset({
    "db", "database", "db_name", "db_system", "datastore", "peer_service", "peer", "upstream",
    "upstream_cluster", "upstream_service", "target", "target_service", "destination",
    "destination_service", "destination_service_name", "destination_workload", "backend", "dependency",
    "remote_service", "server_address", "net_peer_name", "topic", "queue", "cluster_name", "route",
    "endpoint", "rpc_service", "grpc_service",
    # Istio's standard metrics (client-reported: the destination is the callee).
    "destination_app", "destination_canonical_service",
    # Linkerd's outbound proxy metrics: the callee's Kubernetes service and workload.
    "dst_service", "dst_deployment", "dst_statefulset", "dst_daemonset",
    # Envoy's cluster statistics: the upstream cluster (``outbound|8080||cart.shop.svc...``).
    "envoy_cluster_name",
    # The OpenTelemetry service graph connector's edges (``client`` calls ``server``).
    "server",
})
# Labels whose value may spell a service its own way (case, separators, a namespace or an
# operation around it): a client span ``oteldemo.CartService/GetCart``, a gRPC service
# ``hipstershop.CartService``, an address ``redis-cart:6379``.
SPELLED_LABELS = PEER_LABELS | {"span_name", "span"}
# Of those, the ones whose value is what the alerting service calls: naming a quiet service there
# says the calls to it fail (``_Reported``). A topic or a queue is shared by producer and consumer,
# a route is a page, ``cluster_name`` and ``target`` are as often a Kubernetes cluster or a scrape
# target: they only count as mentions.
CALL_LABELS = SPELLED_LABELS - {"topic", "queue", "route", "endpoint", "cluster_name", "target"}
# A request line or a path: it names a page or an API route, not the service behind it.
ROUTE = re.compile(r"^\s*(?:(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s|/)", re.I)
MAX_VALUE = 200  # longer values are free text, not a name
_NONE: frozenset[str] = frozenset()


def called(u: UniqueAlert, spelling: Callable[[], NameIndex]) -> frozenset[str]:
    """The services ``u``'s call labels name as the target of its calls (never ``u``'s own
    service: a server span or a destination-reported mesh metric names the alerting service
    itself). ``spelling`` is asked only when the alert carries such a label."""
    return called_by(u.alert.labels, u.service, spelling)


def called_by(labels: Mapping[str, str], own: str | None, spelling: Callable[[], NameIndex]) -> frozenset[str]:
    """:func:`called` for an alert's ``labels``, raised on service ``own``."""
    if CALL_LABELS.isdisjoint(labels):  # most alerts: no set built
        return _NONE
    keys = CALL_LABELS.intersection(labels)
    index = spelling()
    found: set[str] = set()
    for k in keys:
        v = labels[k]
        if not v or len(v) > MAX_VALUE or ROUTE.match(v):
            continue
        named = index.named(v)
        if named is not None and named != own:
            found.add(named)
    return frozenset(found)
