"""The incident script: which alerts fire where, when, and why. Pure data.

Three root causes start within five minutes of each other. Symptoms climb the dependsOn graph
from the broken thing toward users with 30 s - 4 min per hop, changing kind on the way: errors
and latency next to the cause, saturation in callers that wait, "no traffic" in the stages that
stop receiving work, and conversion drops at the front end. Each rule names the label that
carries the service (service / app / kubernetes_deployment / job) and the value that estate
uses, often an alias only the catalog's ``opscontext.io/aliases`` resolves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

AZS = ("us-east-1a", "us-east-1b", "us-east-1c")


@dataclass(frozen=True)
class Rule:
    alertname: str
    severity: str
    key: str  # label carrying the service identity
    value: str  # that label's value (canonical name or an alias)
    fan: tuple[tuple[str, str], ...] | int = 1  # int: that many pods; tuple: (label, value) each
    delay: int = 0  # seconds after the hop starts
    routes: tuple[str, ...] = ()  # one alert per route (times fan)
    extra: tuple[tuple[str, str], ...] = ()
    inhibited_by: str | None = None  # alertname of the critical that inhibits this warning


@dataclass(frozen=True)
class Hop:
    service: str
    delay: int  # seconds after the root cause's first alert
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Cause:
    id: str
    service: str
    start: int  # seconds relative to the anchor (negative = before)
    title: str
    story: str
    change_role: str  # key into the planted change ids
    hops: tuple[Hop, ...] = field(default_factory=tuple)


def _az(*extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(("availability_zone", az) for az in AZS) + extra


def _brokers(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple(("broker", n) for n in names)


_CHECKOUT_ROUTES = ("/api/v1/checkout", "/api/v1/checkout/confirm", "/api/v1/payments/methods")
_WEB_CHECKOUT = ("/checkout", "/checkout/payment", "/checkout/confirm")
_ORDER_ROUTES = ("/api/v1/orders", "/api/v1/orders/{id}", "/api/v1/returns")
_WEB_ORDERS = ("/account/orders", "/account/returns")

PAYMENTS = Cause(
    "payments-bad-deploy", "payment-service", -12 * 60,
    "Bad deploy of payment-service 2.14.0",
    "payment-service 2.14.0 switched payment intents to a new serializer that sends amounts as "
    "strings; Paystream rejects them with HTTP 400 and the service retries, so authorizations "
    "fail and slow down. Checkout, refunds, the gateway's checkout routes, the BFF and the web "
    "checkout pages follow; the ledger stops receiving captures.",
    "payment_cause",
    (
        Hop("payment-service", 0, (
            Rule("HighErrorRate", "critical", "kubernetes_deployment", "payment-service-v2", 6),
            Rule("PaymentAuthorizationFailureRate", "critical", "service", "payment-service", delay=25),
            Rule("HighRequestLatency", "warning", "app", "paymentsvc", 6, delay=40),
            Rule("ErrorBudgetBurnFast", "critical", "job", "payments-api", delay=90),
            Rule("ErrorBudgetBurnSlow", "warning", "service", "payments", delay=150))),
        Hop("paystream-gateway", 35, (
            Rule("PSPRequestRejected", "critical", "service", "paystream",
                 extra=(("http_status", "400"),)),
            Rule("PSPClientErrorRatio", "warning", "job", "psp", delay=30))),
        Hop("checkout-service", 60, (
            Rule("HighErrorRate", "critical", "service", "checkout-service", 6),
            Rule("HighRequestLatency", "warning", "kubernetes_deployment", "checkout-service", 6, 20),
            Rule("ThreadPoolSaturation", "warning", "app", "checkout", 6, 60),
            Rule("CheckoutConversionDrop", "critical", "service", "checkout", delay=90),
            Rule("ErrorBudgetBurnFast", "critical", "service", "checkout-api", delay=100))),
        Hop("ledger-service", 95, (
            Rule("RequestRateDropped", "warning", "service", "ledger-service"),
            Rule("NoCaptureEvents", "warning", "job", "ledger", 3, 30))),
        Hop("refund-worker", 120, (
            Rule("RefundJobsFailing", "warning", "kubernetes_deployment", "refund-worker", 3),)),
        Hop("api-gateway", 150, (
            Rule("UpstreamErrorRate", "critical", "service", "api-gateway", _az(), routes=_CHECKOUT_ROUTES),
            Rule("UpstreamLatencyHigh", "warning", "job", "gateway", _az(), 25, routes=_CHECKOUT_ROUTES))),
        Hop("mobile-bff", 165, (
            Rule("HighErrorRate", "critical", "app", "bff-mobile", 4,
                 extra=(("route", "/bff/v2/checkout"),)),)),
        Hop("web-storefront", 210, (
            Rule("RouteErrorRate", "critical", "service", "web-storefront", routes=_WEB_CHECKOUT),
            Rule("RUMLargestContentfulPaintHigh", "warning", "app", "storefront", delay=30,
                 routes=_WEB_CHECKOUT, inhibited_by="RouteErrorRate"),
            Rule("ConversionRateDrop", "critical", "service", "www", delay=75,
                 extra=(("funnel", "checkout"),)))),
    ),
)

ORDERS_DB = Cause(
    "orders-db-disk-full", "orders-db", -14 * 60,
    "orders-db primary out of disk, then out of connections",
    "The Debezium connector orders-cdc was paused five hours earlier but its logical replication "
    "slot cdc_orders stayed, so the primary kept every WAL segment. The data volume filled; "
    "writes stalled, transactions held their connections and the pool ran out. Everything that "
    "reads or writes orders fails; shipments and labels stop.",
    "orders_db_cause",
    (
        Hop("orders-db", 0, (
            Rule("PostgresDiskSpaceLow", "warning", "service", "orders-db", delay=-81 * 60,
                 extra=(("instance", "orders-db-0:9187"), ("mountpoint", "/var/lib/postgresql"))),
            Rule("PostgresDiskSpaceCritical", "critical", "service", "orders-db",
                 extra=(("instance", "orders-db-0:9187"), ("mountpoint", "/var/lib/postgresql"))),
            Rule("PostgresReplicationSlotWALRetention", "warning", "service", "pg-orders", delay=5,
                 extra=(("slot_name", "cdc_orders"),)),
            Rule("PostgresTooManyConnections", "critical", "app", "orders-postgres", delay=30,
                 extra=(("instance", "orders-db-0:9187"),)),
            Rule("PostgresReplicaLagHigh", "warning", "service", "orders-db",
                 (("instance", "orders-db-1:9187"), ("instance", "orders-db-2:9187")), 60))),
        Hop("order-service", 40, (
            Rule("DBConnectionPoolExhausted", "critical", "kubernetes_deployment", "order-service", 6),
            Rule("HighErrorRate", "critical", "service", "orders-api", 6, 15),
            Rule("HighRequestLatency", "warning", "app", "orders", 6, 25),
            Rule("ErrorBudgetBurnFast", "critical", "service", "order-service", delay=120))),
        Hop("order-history-service", 55, (
            Rule("HighErrorRate", "critical", "service", "order-history", 4),
            Rule("HighRequestLatency", "warning", "kubernetes_deployment", "order-history-service", 4, 20))),
        Hop("invoice-service", 90, (
            Rule("InvoiceGenerationFailing", "warning", "service", "invoice-service", 3),
            Rule("DBConnectionErrors", "warning", "app", "invoicing", 3, 10))),
        Hop("fulfillment-worker", 100, (
            Rule("FulfillmentJobsFailing", "critical", "kubernetes_deployment", "fulfillment-worker", 5),
            Rule("QueueBacklogGrowing", "warning", "service", "fulfillment", delay=60,
                 extra=(("queue", "pick-lists"),)))),
        Hop("returns-service", 110, (
            Rule("HighErrorRate", "critical", "service", "returns", 3),)),
        Hop("api-gateway", 140, (
            Rule("UpstreamErrorRate", "critical", "service", "api-gateway", _az(), routes=_ORDER_ROUTES),
            Rule("UpstreamLatencyHigh", "warning", "job", "gateway", delay=30, routes=_ORDER_ROUTES))),
        Hop("web-storefront", 190, (
            Rule("RouteErrorRate", "critical", "service", "web-storefront", routes=_WEB_ORDERS),
            Rule("RUMLargestContentfulPaintHigh", "warning", "app", "storefront", delay=30,
                 routes=_WEB_ORDERS, inhibited_by="RouteErrorRate"))),
        Hop("shipping-service", 200, (
            Rule("ShipmentCreationRateZero", "warning", "service", "shipping-service"),)),
        Hop("label-worker", 230, (
            Rule("NoLabelsPurchased", "warning", "job", "label-worker"),)),
    ),
)

KAFKA = Cause(
    "events-kafka-broker-down", "events-kafka", -9 * 60,
    "events-kafka broker kafka-2 failed to rejoin during the 3.7.0 rolling upgrade",
    "The rolling upgrade to Kafka 3.7.0 restarted kafka-2 with a bad inter.broker.protocol "
    "setting; it never rejoined. Partitions it led went offline or under-replicated, consumer "
    "groups stalled, and everything downstream of the event stream lags: notifications, email, "
    "SMS, loyalty points, the search indexer and the clickstream sink.",
    "kafka_cause",
    (
        Hop("events-kafka", 0, (
            Rule("KafkaBrokerDown", "critical", "service", "events-kafka", extra=(("broker", "kafka-2"),)),
            Rule("KafkaControllerChanged", "warning", "service", "kafka", delay=10),
            Rule("KafkaISRShrinking", "warning", "service", "events-kafka", _brokers("kafka-0", "kafka-1"), 15),
            Rule("KafkaUnderReplicatedPartitions", "critical", "app", "kafka-events",
                 _brokers("kafka-0", "kafka-1"), 20),
            Rule("KafkaOfflinePartitions", "critical", "service", "kafka", delay=25))),
        Hop("schema-registry", 40, (
            Rule("SchemaRegistryKafkaStoreErrors", "warning", "kubernetes_deployment", "schema-registry", 3),)),
        Hop("clickstream-ingest-worker", 45, (
            Rule("KafkaConsumerLagHigh", "warning", "service", "clickstream-ingest", 6,
                 extra=(("consumer_group", "clickstream-s3-sink"),)),)),
        Hop("notification-service", 60, (
            Rule("KafkaConsumerLagHigh", "warning", "kubernetes_deployment", "notification-service", 4,
                 extra=(("consumer_group", "notifications"),)),
            Rule("NotificationsDelayed", "critical", "service", "notifications", delay=60))),
        Hop("catalog-indexer-worker", 60, (
            Rule("KafkaConsumerLagHigh", "warning", "service", "catalog-indexer", 4,
                 extra=(("consumer_group", "catalog-indexer"),)),
            Rule("IndexerCommitFailures", "warning", "app", "catalog-indexer-worker", 4, 20))),
        Hop("email-worker", 70, (
            Rule("KafkaConsumerLagHigh", "warning", "kubernetes_deployment", "email-worker", 4,
                 extra=(("consumer_group", "email-dispatch"),)),
            Rule("EmailSendRateZero", "critical", "service", "email-worker", delay=90))),
        Hop("sms-worker", 80, (
            Rule("KafkaConsumerLagHigh", "warning", "job", "sms-worker", 3,
                 extra=(("consumer_group", "sms-dispatch"),)),
            Rule("SMSSendRateZero", "warning", "job", "sms-worker", delay=100))),
        Hop("loyalty-service", 90, (
            Rule("KafkaConsumerLagHigh", "warning", "app", "loyalty", 3,
                 extra=(("consumer_group", "loyalty-accrual"),)),
            Rule("PointsAccrualDelayed", "warning", "service", "loyalty-service", delay=45))),
        Hop("search-service", 180, (
            Rule("SearchIndexFreshnessLag", "warning", "service", "search-api"),)),
    ),
)

CAUSES = (PAYMENTS, ORDERS_DB, KAFKA)
