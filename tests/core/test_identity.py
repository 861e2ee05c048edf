import pytest

from opscontext.engine.identity import ServiceResolver, normalize
from opscontext.errors import InputError
from opscontext.models import Service, Team

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
