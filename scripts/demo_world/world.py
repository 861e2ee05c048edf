"""Who and what exists at Larkspur Outfitters: the org chart, the people and the services.

The graph is designed, not random, so the incident's ground truth stays explainable: three
mostly disjoint blast radii (payments, orders-db, events-kafka), hubs that many services share
(auth-service, core-postgres, events-kafka), one cycle (promotions <-> loyalty) and a 7-hop path
from the mobile app down to the fraud model's feature store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

ANCHOR = datetime(2026, 3, 10, 14, 0, 0, tzinfo=UTC)  # "now" of the recording (a Tuesday)
COMPANY = "Larkspur Outfitters"
DOMAIN = "larkspur.example"
SEED = 20260310


@dataclass(frozen=True)
class Person:
    user: str  # catalog user name, also the email local part and the git author handle
    name: str
    phone: str


@dataclass(frozen=True)
class Team:
    name: str
    title: str
    parent: str
    tz: str
    members: tuple[Person, ...]
    lead: str  # display name of the engineering manager / lead

    @property
    def channel(self) -> str:
        return f"#team-{self.name}"

    @property
    def email(self) -> str:
        return f"{self.name}@{DOMAIN}"


@dataclass(frozen=True)
class Svc:
    name: str
    system: str
    kind: str = "Component"  # Component | Resource
    type: str = "service"
    tier: int = 2
    deps: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    desc: str = ""
    pods: int = 3
    lifecycle: str = "production"
    external: bool = False
    user_facing: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def _p(user: str, name: str, n: int) -> Person:
    return Person(user, name, f"+1-555-01{n:02d}")


TEAMS: tuple[Team, ...] = (
    Team("storefront", "Storefront", "commerce-eng", "America/New_York", (
        _p("alex.moreno", "Alex Moreno", 1), _p("jordan.blake", "Jordan Blake", 2),
        _p("sam.okafor", "Sam Okafor", 3), _p("lena.fischer", "Lena Fischer", 4)), "Alex Moreno"),
    Team("checkout", "Checkout", "commerce-eng", "Europe/Dublin", (
        _p("niamh.kelly", "Niamh Kelly", 5), _p("tomas.novak", "Tomas Novak", 6),
        _p("grace.adeyemi", "Grace Adeyemi", 7), _p("owen.byrne", "Owen Byrne", 8)), "Niamh Kelly"),
    Team("payments", "Payments", "commerce-eng", "Europe/London", (
        _p("dana.reyes", "Dana Reyes", 9), _p("priya.natarajan", "Priya Natarajan", 10),
        _p("marcus.webb", "Marcus Webb", 11), _p("hannah.cole", "Hannah Cole", 12),
        _p("yusuf.demir", "Yusuf Demir", 13)), "Marcus Webb"),
    Team("orders", "Orders", "operations-eng", "America/Chicago", (
        _p("carla.jimenez", "Carla Jimenez", 14), _p("ben.larsen", "Ben Larsen", 15),
        _p("aisha.karim", "Aisha Karim", 16), _p("luke.harper", "Luke Harper", 17)), "Carla Jimenez"),
    Team("fulfillment", "Fulfillment", "operations-eng", "America/Chicago", (
        _p("mateo.silva", "Mateo Silva", 18), _p("julia.kowalski", "Julia Kowalski", 19),
        _p("derek.osei", "Derek Osei", 20), _p("ines.duarte", "Ines Duarte", 21)), "Mateo Silva"),
    Team("catalog", "Catalog & Search", "product-eng", "Europe/Berlin", (
        _p("felix.wagner", "Felix Wagner", 22), _p("sofia.romano", "Sofia Romano", 23),
        _p("kenji.mori", "Kenji Mori", 24), _p("emma.lindqvist", "Emma Lindqvist", 25),
        _p("piotr.zielinski", "Piotr Zielinski", 26)), "Felix Wagner"),
    Team("customer", "Customer Experience", "product-eng", "Asia/Kolkata", (
        _p("arjun.mehta", "Arjun Mehta", 27), _p("kavya.iyer", "Kavya Iyer", 28),
        _p("rohan.das", "Rohan Das", 29), _p("meera.pillai", "Meera Pillai", 30)), "Arjun Mehta"),
    Team("platform", "Platform", "platform-eng", "America/Los_Angeles", (
        _p("ravi.shah", "Ravi Shah", 31), _p("chloe.nguyen", "Chloe Nguyen", 32),
        _p("isaac.brennan", "Isaac Brennan", 33), _p("tara.whitfield", "Tara Whitfield", 34)),
        "Ravi Shah"),
    Team("data-platform", "Data Platform", "platform-eng", "Europe/Berlin", (
        _p("lukas.becker", "Lukas Becker", 35), _p("anna.schmidt", "Anna Schmidt", 36),
        _p("omar.haddad", "Omar Haddad", 37), _p("zoe.martin", "Zoe Martin", 38)), "Lukas Becker"),
)

# Department groups above the teams (org tree root: engineering).
DEPARTMENTS: dict[str, tuple[str, str]] = {  # name -> (title, head display name)
    "engineering": ("Engineering", "Mei Tanaka"),
    "commerce-eng": ("Commerce Engineering", "Ravi Shah"),
    "operations-eng": ("Operations Engineering", "Carla Jimenez"),
    "product-eng": ("Product Engineering", "Felix Wagner"),
    "platform-eng": ("Platform Engineering", "Ravi Shah"),
}
DIRECTOR = Person("mei.tanaka", "Mei Tanaka", "+1-555-0100")

SYSTEMS: dict[str, tuple[str, str]] = {  # system -> (owning team, description)
    "storefront": ("storefront", "Customer-facing web shop, mobile apps and their backend-for-frontend."),
    "edge": ("platform", "Ingress, API gateway, authentication, rate limiting and feature flags."),
    "checkout": ("checkout", "Cart, promotions, tax and the checkout orchestration."),
    "payments": ("payments", "Payment authorization, fraud screening, ledger and refunds."),
    "orders": ("orders", "Order records, order history, invoices and returns."),
    "fulfillment": ("fulfillment", "Warehouse picking, shipping rates and carrier labels."),
    "catalog": ("catalog", "Products, prices, inventory, search, recommendations and reviews."),
    "customer": ("customer", "Profiles, loyalty, wishlists and customer notifications."),
    "data-platform": ("data-platform", "The event backbone (Kafka), schemas and the analytics lake."),
}

_GW_UPSTREAMS = (
    "auth-service", "rate-limiter", "checkout-service", "cart-service", "order-service",
    "order-history-service", "returns-service", "product-catalog-service", "search-service",
    "user-profile-service", "recommendations-service", "reviews-service", "wishlist-service",
    "loyalty-service",
)

SERVICES: tuple[Svc, ...] = (
    # storefront
    Svc("web-storefront", "storefront", type="website", tier=1, pods=6, user_facing=True,
        deps=("api-gateway", "storefront-assets-bucket"), aliases=("storefront", "www", "web"),
        desc="Next.js web shop at www.larkspur.example (server-side rendered)."),
    Svc("mobile-app", "storefront", type="website", tier=1, pods=0, user_facing=True,
        deps=("mobile-bff",), aliases=("ios-app", "android-app"),
        desc="iOS and Android shopping apps."),
    Svc("mobile-bff", "storefront", tier=1, pods=4, deps=("api-gateway", "auth-service"),
        aliases=("bff-mobile",), desc="Backend-for-frontend that shapes API responses for the apps."),
    Svc("seo-renderer", "storefront", tier=3, pods=2, deps=("api-gateway",),
        desc="Pre-renders category pages and sitemaps for crawlers."),
    Svc("storefront-assets-bucket", "storefront", kind="Resource", type="s3-bucket", tier=2,
        aliases=("s3-storefront-assets",), desc="Static assets behind the CDN."),
    # edge
    Svc("api-gateway", "edge", tier=1, pods=9, deps=_GW_UPSTREAMS,
        aliases=("gateway", "edge-gateway", "envoy-gateway"),
        desc="Envoy-based public API gateway: routing, authn, quotas."),
    Svc("auth-service", "edge", tier=1, pods=6, deps=("core-postgres", "session-redis"),
        aliases=("auth", "authn", "identity-service"), desc="OAuth2/OIDC tokens and sessions."),
    Svc("rate-limiter", "edge", tier=2, pods=3, deps=("session-redis",),
        desc="Global rate limit service used by the gateway."),
    Svc("feature-flags-service", "edge", tier=2, pods=3, deps=("core-postgres",),
        aliases=("flags", "unleash"), desc="Feature flag evaluation."),
    Svc("session-redis", "edge", kind="Resource", type="redis", tier=1,
        aliases=("redis-sessions",), desc="Redis cluster for sessions and rate-limit counters."),
    Svc("core-postgres", "edge", kind="Resource", type="postgres", tier=1,
        aliases=("pg-core", "core-pg"), desc="Shared PostgreSQL cluster for smaller services."),
    # checkout
    Svc("checkout-service", "checkout", tier=1, pods=6,
        deps=("cart-service", "payment-service", "promotions-service", "tax-service",
              "inventory-service", "auth-service", "events-kafka", "feature-flags-service"),
        aliases=("checkout", "checkout-api"), desc="Orchestrates checkout: cart, tax, payment."),
    Svc("cart-service", "checkout", tier=1, pods=4,
        deps=("cart-redis", "product-catalog-service", "pricing-service"),
        aliases=("cart", "basket-service"), desc="Shopping carts."),
    Svc("cart-redis", "checkout", kind="Resource", type="redis", tier=1, aliases=("redis-cart",),
        desc="Redis holding carts."),
    Svc("promotions-service", "checkout", tier=2, pods=3, deps=("core-postgres", "loyalty-service"),
        aliases=("promo", "promotions"), desc="Coupons, campaigns and member discounts."),
    Svc("tax-service", "checkout", tier=2, pods=3, deps=("taxrate-api",),
        desc="Sales tax and VAT calculation."),
    Svc("taxrate-api", "checkout", type="external", tier=2, pods=0, external=True,
        aliases=("taxrate",), desc="Third-party tax rate API (TaxRate Inc.)."),
    # payments
    Svc("payment-service", "payments", tier=1, pods=6,
        deps=("paystream-gateway", "fraud-service", "ledger-service", "payments-db",
              "events-kafka", "payment-vault"),
        aliases=("payments", "payments-api", "payment-service-v2", "paymentsvc"),
        desc="Authorizes and captures card and wallet payments through Paystream."),
    Svc("fraud-service", "payments", tier=1, pods=4, deps=("risk-scoring-service", "payments-db"),
        aliases=("fraud",), desc="Screens payments before authorization."),
    Svc("risk-scoring-service", "payments", tier=2, pods=3, deps=("feature-store-redis",),
        aliases=("risk-model",), desc="Serves the fraud model's risk scores."),
    Svc("feature-store-redis", "payments", kind="Resource", type="redis", tier=2,
        aliases=("redis-features",), desc="Online feature store for the risk model."),
    Svc("ledger-service", "payments", tier=1, pods=3, deps=("payments-db", "events-kafka"),
        aliases=("ledger",), desc="Double-entry ledger of captured money."),
    Svc("refund-worker", "payments", type="worker", tier=2, pods=3,
        deps=("payment-service", "events-kafka"), desc="Processes refund requests."),
    Svc("payment-vault", "payments", tier=1, pods=3, deps=("payments-db",),
        aliases=("tokenizer",), desc="Card tokenization (PCI scope)."),
    Svc("payments-db", "payments", kind="Resource", type="postgres", tier=1,
        aliases=("pg-payments",), desc="PostgreSQL for payments, fraud and ledger."),
    Svc("paystream-gateway", "payments", type="external", tier=1, pods=0, external=True,
        aliases=("paystream", "psp"), desc="Paystream, the third-party payment provider."),
    # orders
    Svc("order-service", "orders", tier=1, pods=6,
        deps=("orders-db", "inventory-service", "events-kafka", "auth-service"),
        aliases=("orders", "orders-api"), desc="Creates and updates orders."),
    Svc("order-history-service", "orders", tier=2, pods=4, deps=("orders-db", "orders-archive-bucket"),
        aliases=("order-history",), desc="Serves 'My orders' pages."),
    Svc("invoice-service", "orders", tier=2, pods=3, deps=("orders-db", "orders-archive-bucket"),
        aliases=("invoicing",), desc="Generates invoices as PDFs."),
    Svc("returns-service", "orders", tier=2, pods=3,
        deps=("order-service", "orders-db", "events-kafka", "auth-service"),
        aliases=("returns",), desc="Return authorizations (RMA)."),
    Svc("orders-db", "orders", kind="Resource", type="postgres", tier=1,
        aliases=("orders-postgres", "pg-orders"), desc="PostgreSQL primary + 2 replicas for orders."),
    Svc("orders-archive-bucket", "orders", kind="Resource", type="s3-bucket", tier=3,
        aliases=("s3-orders-archive",), desc="Invoices and archived orders."),
    # fulfillment
    Svc("fulfillment-worker", "fulfillment", type="worker", tier=2, pods=5,
        deps=("orders-db", "fulfillment-db", "shipping-service", "events-kafka"),
        aliases=("fulfillment",), desc="Turns paid orders into pick lists and shipments."),
    Svc("shipping-service", "fulfillment", tier=2, pods=3, deps=("parcelhub-api", "fulfillment-db"),
        aliases=("shipping",), desc="Shipping rates and shipment creation."),
    Svc("warehouse-sync-worker", "fulfillment", type="worker", tier=3, pods=2,
        deps=("fulfillment-db", "inventory-service"), desc="Syncs stock counts from the WMS."),
    Svc("label-worker", "fulfillment", type="worker", tier=3, pods=2,
        deps=("parcelhub-api", "fulfillment-db"), desc="Buys and prints carrier labels."),
    Svc("fulfillment-db", "fulfillment", kind="Resource", type="postgres", tier=2,
        aliases=("pg-fulfillment",), desc="PostgreSQL for shipments and pick lists."),
    Svc("parcelhub-api", "fulfillment", type="external", tier=2, pods=0, external=True,
        aliases=("parcelhub",), desc="ParcelHub multi-carrier label API."),
    # catalog
    Svc("product-catalog-service", "catalog", tier=1, pods=6,
        deps=("catalog-db", "product-images-bucket"), aliases=("catalog", "products-api"),
        desc="Product data."),
    Svc("search-service", "catalog", tier=1, pods=4, deps=("search-elasticsearch",),
        aliases=("search", "search-api"), desc="Product search and facets."),
    Svc("search-elasticsearch", "catalog", kind="Resource", type="elasticsearch", tier=1,
        aliases=("es-search",), desc="Elasticsearch cluster behind search."),
    Svc("catalog-indexer-worker", "catalog", type="worker", tier=2, pods=4,
        deps=("events-kafka", "search-elasticsearch", "catalog-db"), aliases=("catalog-indexer",),
        desc="Consumes product events and updates the search index."),
    Svc("pricing-service", "catalog", tier=1, pods=4, deps=("catalog-db",),
        aliases=("pricing",), desc="Prices and price lists."),
    Svc("inventory-service", "catalog", tier=1, pods=4, deps=("catalog-db", "events-kafka"),
        aliases=("inventory", "stock-service"), desc="Stock levels and reservations."),
    Svc("recommendations-service", "catalog", tier=3, pods=4,
        deps=("product-catalog-service", "data-lake-bucket"), aliases=("recs",),
        desc="'You may also like' recommendations."),
    Svc("reviews-service", "catalog", tier=3, pods=3, deps=("core-postgres", "product-catalog-service"),
        aliases=("reviews",), desc="Product reviews and ratings."),
    Svc("catalog-db", "catalog", kind="Resource", type="postgres", tier=1,
        aliases=("pg-catalog",), desc="PostgreSQL for products, prices and stock."),
    Svc("product-images-bucket", "catalog", kind="Resource", type="s3-bucket", tier=2,
        aliases=("s3-product-images",), desc="Product photography."),
    # customer
    Svc("user-profile-service", "customer", tier=1, pods=4, deps=("core-postgres", "auth-service"),
        aliases=("profile", "users-api"), desc="Customer profiles and addresses."),
    Svc("notification-service", "customer", tier=2, pods=4, deps=("events-kafka", "user-profile-service"),
        aliases=("notifications",), desc="Decides who gets told what, and how."),
    Svc("email-worker", "customer", type="worker", tier=2, pods=4, deps=("events-kafka", "mailpost-api"),
        desc="Renders and sends transactional email."),
    Svc("sms-worker", "customer", type="worker", tier=3, pods=3, deps=("events-kafka",),
        desc="Sends SMS notifications."),
    Svc("mailpost-api", "customer", type="external", tier=2, pods=0, external=True,
        aliases=("mailpost",), desc="MailPost transactional email provider."),
    Svc("loyalty-service", "customer", tier=2, pods=3,
        deps=("core-postgres", "promotions-service", "events-kafka", "auth-service"),
        aliases=("loyalty",), desc="Points and member tiers."),
    Svc("wishlist-service", "customer", tier=3, pods=3,
        deps=("core-postgres", "product-catalog-service", "auth-service"),
        aliases=("wishlist",), desc="Wishlists."),
    # data platform
    Svc("events-kafka", "data-platform", kind="Resource", type="kafka", tier=1,
        aliases=("kafka", "kafka-events", "events-kafka-cluster"),
        desc="Three-broker Kafka cluster carrying domain events."),
    Svc("schema-registry", "data-platform", tier=2, pods=3, deps=("events-kafka",),
        desc="Avro schema registry (stores schemas in Kafka)."),
    Svc("clickstream-ingest-worker", "data-platform", type="worker", tier=3, pods=6,
        deps=("events-kafka", "data-lake-bucket"), aliases=("clickstream-ingest",),
        desc="Moves clickstream events from Kafka to the lake."),
    Svc("analytics-loader", "data-platform", type="batch-job", tier=3, pods=6,
        deps=("data-lake-bucket",), desc="Hourly batch loading the lake into the warehouse."),
    Svc("data-lake-bucket", "data-platform", kind="Resource", type="s3-bucket", tier=3,
        aliases=("s3-data-lake",), desc="Analytics data lake."),
)

BY_NAME: dict[str, Svc] = {s.name: s for s in SERVICES}


def team(name: str) -> Team:
    return next(t for t in TEAMS if t.name == name)


def owner_of(svc: Svc) -> Team:
    return team(SYSTEMS[svc.system][0])


def namespace(svc: Svc) -> str:
    return svc.system
