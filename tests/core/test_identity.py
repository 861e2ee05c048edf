import pytest

from opscontext.engine.identity import ServiceResolver, normalize, pod_owners
from opscontext.errors import InputError
from opscontext.models import Service, Team
from opscontext.promfamily import DEFAULT_SERVICE_LABELS

SERVICES = [
    Service(
        name="payment-service",
        title="Payment Service",
        aliases=("payments",),
        annotations={"pagerduty.com/service-id": "PXYZ123", "github.com/project-slug": "acme/payments-api"},
    ),
    Service(name="checkout-service", title="Checkout"),
    Service(name="orders-db", kind="resource"),
    # Two services share an alias: it must not silently pick one.
    Service(name="search-api", aliases=("search",)),
    Service(name="search-indexer", aliases=("search",)),
]


@pytest.fixture
def resolver() -> ServiceResolver:
    return ServiceResolver(SERVICES, [Team(name="payments", title="Payments Team")])


@pytest.mark.parametrize(
    "text",
    ["payment-service", "PAYMENT-SERVICE", "Payment Service", "payments", "PXYZ123", "payment_service", "payments-api"],
)
def test_every_spelling_of_a_service_resolves_to_its_catalog_name(resolver: ServiceResolver, text: str) -> None:
    assert resolver.resolve(text).name == "payment-service"


def test_an_ambiguous_alias_does_not_join_silently(resolver: ServiceResolver) -> None:
    assert resolver.match("search") is None


def test_unknown_service_gets_did_you_mean_suggestions(resolver: ServiceResolver) -> None:
    with pytest.raises(InputError) as info:
        resolver.resolve("paymnt-servce")
    assert "payment-service" in info.value.suggestions
    assert "Did you mean" in str(info.value)


def test_unknown_service_with_nothing_similar_says_so(resolver: ServiceResolver) -> None:
    with pytest.raises(InputError, match="No similar names"):
        resolver.resolve("zzzzzzzzzzzz")


def test_alert_labels_are_tried_in_the_configured_order(resolver: ServiceResolver) -> None:
    labels = {"job": "node-exporter", "app": "checkout"}
    assert resolver.from_labels(None, labels, ["service", "app", "job"]) == "checkout-service"
    assert resolver.from_labels("unknown", {}, ["service"]) is None


def test_team_names_match_across_case_and_title(resolver: ServiceResolver) -> None:
    assert resolver.team("Payments Team") == "payments"
    assert resolver.team("PAYMENTS") == "payments"


def test_normalize_ignores_case_and_separators() -> None:
    assert normalize("Payment_Service") == normalize("payment-service") == "paymentservice"


def test_hostile_long_input_is_refused_quickly(resolver: ServiceResolver) -> None:
    with pytest.raises(InputError, match="too long"):
        resolver.resolve("a" * 10_000)


OTEL_DEMO = [Service(name=n) for n in ("cart", "checkout", "product-catalog", "ad", "frontend-proxy", "valkey-cart")]


@pytest.mark.parametrize(
    ("label", "name"),
    [("cartservice", "cart"), ("checkoutservice", "checkout"), ("productcatalogservice", "product-catalog"),
     ("adservice", "ad"), ("frontendproxy", "frontend-proxy"), ("cart-svc", "cart"), ("CartService", "cart")],
)
def test_telemetry_names_with_a_role_word_resolve_to_a_catalog_without_it(label: str, name: str) -> None:
    # The OpenTelemetry demo's services were called cartservice, productcatalogservice... before
    # they became cart, product-catalog: alerts recorded from an older run still find them.
    resolver = ServiceResolver(OTEL_DEMO)
    assert resolver.from_labels(None, {"service_name": label}, ["service_name"]) == name


def test_and_a_catalog_name_with_it_is_found_without_it(resolver: ServiceResolver) -> None:
    assert resolver.match("payment") == "payment-service"
    assert resolver.match("checkout_svc") == "checkout-service"


def test_the_role_word_joins_nothing_when_two_services_share_the_rest() -> None:
    resolver = ServiceResolver([Service(name="orders"), Service(name="orders-service")])
    assert resolver.match("orders") == "orders"  # exact names still win
    assert resolver.match("ordersservice") == "orders-service"
    assert resolver.match("orders-svc") is None  # either could be meant
    assert resolver.match("service") is None and resolver.match("svc") is None


def test_a_spelling_two_services_share_is_not_rescued_by_the_role_word() -> None:
    resolver = ServiceResolver([Service(name="search-api", aliases=("search",)),
                                Service(name="search-indexer", aliases=("search",)),
                                Service(name="search-service")])
    assert resolver.match("search") is None


@pytest.mark.parametrize(
    ("pod", "owners"),
    [
        ("cart-7f9c6d8b5b-x2kqz", ["cart", "cart-7f9c6d8b5b"]),  # a Deployment's pod
        ("orders-db-0", ["orders-db"]),  # a StatefulSet's
        ("node-agent-x2kqz", ["node-agent"]),  # a DaemonSet's or a Job's
        ("payment-cache", []),  # nothing generated: no owner is guessed
        ("frontend-Abcde", []),  # vowels and capitals are never generated
        ("cart", []),
        ("cart--x2kqz", []),
    ],
)
def test_a_pod_name_gives_the_workloads_that_may_own_it(pod: str, owners: list[str]) -> None:
    assert pod_owners(pod) == owners


def test_an_alert_naming_only_its_pod_resolves_to_the_owning_workload(resolver: ServiceResolver) -> None:
    order = ["service", "app", "job"]
    # kube-state-metrics' own job names no service; the pod does
    crash = {"alertname": "KubePodCrashLooping", "job": "kube-state-metrics", "pod": "checkout-service-5d8c9f7b6-qwz2x"}
    assert resolver.from_labels("kube-state-metrics", crash, order) == "checkout-service"
    assert resolver.from_labels(None, {"pod": "orders-db-1"}, order) == "orders-db"
    # a label that resolves wins over the pod; a pod of an unknown workload names nothing
    assert resolver.from_labels(None, {"app": "payments", "pod": "orders-db-1"}, order) == "payment-service"
    assert resolver.from_labels(None, {"pod": "redis-exporter-5d8c9f7b6-qwz2x"}, order) is None
    # an ambiguous owner joins neither service
    assert resolver.from_labels(None, {"pod": "search-5d8c9f7b6-qwz2x"}, order) is None


def test_opentelemetry_kubernetes_labels_name_the_service_by_default() -> None:
    resolver = ServiceResolver(SERVICES)
    labels = {"alertname": "HighErrorRate", "k8s_deployment_name": "checkout-service", "job": "otel-collector"}
    assert resolver.from_labels(None, labels, list(DEFAULT_SERVICE_LABELS)) == "checkout-service"


def test_pod_owners_are_remembered_and_the_memory_stays_bounded(
    resolver: ServiceResolver, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import opscontext.engine.identity as identity

    monkeypatch.setattr(identity, "_MAX_PODS_REMEMBERED", 2)
    pods = ["orders-db-0", "orders-db-1", "nobody-5d8c9f7b6-qwz2x"]
    first = [resolver.from_labels(None, {"pod": p}, ["service"]) for p in pods]
    again = [resolver.from_labels(None, {"pod": p}, ["service"]) for p in pods]
    assert first == again == ["orders-db", "orders-db", None]
    assert len(resolver._pods) <= 2


K8S_DEMO = [Service(name=n) for n in ("checkout", "cart", "frontend", "frontend-proxy", "product-catalog",
                                       "payment", "valkey-cart")]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("opentelemetry-demo/checkout", "checkout"),  # job = service.namespace/service.name
        ("opentelemetry-demo/productcatalogservice", "product-catalog"),
        ("shop/prod/frontend-proxy", "frontend-proxy"),
        ("/api/cart", None),  # a route, not a name
        ("http://cart", None),
        ("opentelemetry-demo/", None),
        ("opentelemetry-demo/quote", None),  # the name after the slash must itself be known
    ],
)
def test_a_namespace_slash_name_resolves_by_its_name(text: str, name: str | None) -> None:
    assert ServiceResolver(K8S_DEMO).match(text) == name


def test_an_opentelemetry_job_behind_a_collector_scrape_resolves_through_exported_job() -> None:
    # Prometheus scraping the collector keeps the series' own job as exported_job
    labels = {"alertname": "HighLatency", "job": "otel-collector", "exported_job": "opentelemetry-demo/payment"}
    assert ServiceResolver(K8S_DEMO).from_labels(None, labels, list(DEFAULT_SERVICE_LABELS)) == "payment"


def test_a_release_prefix_shared_by_three_services_is_learnt_and_stripped() -> None:
    resolver = ServiceResolver(K8S_DEMO)
    order = list(DEFAULT_SERVICE_LABELS)
    pod = {"alertname": "KubePodCrashLooping", "job": "kube-state-metrics", "pod": "my-otel-demo-cart-6c8f9b7d54-x2kqz"}
    assert resolver.from_labels(None, pod, order) is None  # nothing learnt yet
    learnt = resolver.learn_prefixes(["my-otel-demo-checkout", "my-otel-demo-cart",
                                      "my-otel-demo-productcatalogservice", "unrelated-thing"])
    assert learnt and resolver.prefixes == ["my-otel-demo-"]
    assert resolver.from_labels(None, pod, order) == "cart"  # the pod owner remembered as unknown is read again
    assert resolver.from_labels(None, {"k8s_deployment_name": "my-otel-demo-frontend-proxy"}, order) == "frontend-proxy"
    assert resolver.match_learned("my-otel-demo-payment") == "payment"
    assert resolver.match_learned("other-payment") is None
    assert resolver.match("my-otel-demo-payment") is None  # what a person types is never guessed at
    assert not resolver.learn_prefixes(["my-otel-demo-checkout"])  # nothing new


def test_evidence_for_a_prefix_adds_up_over_calls_and_each_spelling_is_read_once() -> None:
    resolver = ServiceResolver(K8S_DEMO)
    assert not resolver.learn_prefixes(["shop-checkout", "shop-cart"])
    assert not resolver.learn_prefixes(["shop-checkout", "shop-cart"])  # the same two again
    assert resolver.learn_prefixes(["shop-payment"])  # a third service, in a later call
    assert resolver.prefixes == ["shop-"]
    # a prefix of several words is rarer by chance: two services are enough
    assert resolver.learn_prefixes(["my-otel-demo-checkout", "my-otel-demo-cart"])
    assert resolver.prefixes == ["my-otel-demo-", "shop-"]


def test_one_word_before_two_services_is_no_prefix_and_a_service_name_is_never_one() -> None:
    resolver = ServiceResolver(K8S_DEMO)
    # a technology word in front of two services is not a release
    assert not resolver.learn_prefixes(["redis-cart", "redis-payment"])
    # "frontend" is a service: frontend-checkout, frontend-cart... are not its release's workloads
    assert not resolver.learn_prefixes(["frontend-checkout", "frontend-cart", "frontend-payment"])
    assert not resolver.learn_prefixes(["frontend-proxy-checkout", "frontend-proxy-cart"])
    assert resolver.prefixes == []
    assert resolver.from_labels(None, {"app": "redis-cart"}, ["app"]) is None


def test_prefix_learning_is_bounded_on_hostile_input() -> None:
    resolver = ServiceResolver(K8S_DEMO)
    junk = [f"x{i}-" * 60 for i in range(30_000)] + ["a" * 10_000]
    assert not resolver.learn_prefixes(junk)
    releases = [f"rel{i}-{s}" for i in range(40) for s in ("checkout", "cart", "payment")]
    assert resolver.learn_prefixes(releases)
    assert len(resolver.prefixes) == 16  # kept bounded


def test_an_alert_naming_its_service_two_ways_is_evidence_for_the_prefix() -> None:
    resolver = ServiceResolver(K8S_DEMO)
    order = list(DEFAULT_SERVICE_LABELS)
    # service_name says cart; its pod says how the release spells cart
    pairs = resolver.paired_spellings("cart", {"service_name": "cart", "pod": "my-otel-demo-cart-6c8f9b7d54-x2kqz"},
                                      order)
    assert pairs == [("my-otel-demo-cart", "cart"), ("my-otel-demo-cart-6c8f9b7d54", "cart")]
    assert not resolver.learn_prefixes(["my-otel-demo-checkout"])  # one service alone
    assert resolver.learn_prefixes([], pairs)  # the pair is the second
    assert resolver.prefixes == ["my-otel-demo-"]


def test_a_pair_whose_spelling_leaves_another_service_teaches_nothing() -> None:
    resolver = ServiceResolver(K8S_DEMO)
    assert not resolver.learn_prefixes(["shop-checkout", "shop-payment"], [("shop-frontend", "cart")])
    assert resolver.prefixes == []
