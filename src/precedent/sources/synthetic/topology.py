"""The synthetic organisation's services, the teams that own them, and who depends on whom.

The graph is layered the way most production estates are: edge and web front-ends call API gateways,
gateways call domain services, and domain services call datastores, queues and third parties. Edges only
point down a layer (or sideways within the domain layer), so the dependency graph is acyclic and a
failure in a datastore has a believable blast radius upwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

__all__ = ["KINDS", "Service", "Topology", "build_topology"]

# Kinds decide which failure modes can start in a service (see failure_modes.py).
KINDS = ("web", "gateway", "service", "database", "cache", "queue", "search", "storage", "external")

_LAYER_OF_KIND = {
    "web": 0,
    "gateway": 1,
    "service": 2,
    "database": 3,
    "cache": 3,
    "queue": 3,
    "search": 3,
    "storage": 3,
    "external": 3,
}

# name, kind, owning team, description, curated dependencies.
_SERVICES: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    (
        "cdn-edge",
        "web",
        "Edge",
        "CDN and edge routing in front of every public hostname",
        ("public-api-gateway",),
    ),
    (
        "checkout-web",
        "web",
        "Checkout",
        "Server-rendered checkout pages",
        ("public-api-gateway", "graphql-gateway"),
    ),
    (
        "storefront-web",
        "web",
        "Edge",
        "Product listing and storefront pages",
        ("graphql-gateway", "cdn-edge"),
    ),
    (
        "mobile-bff",
        "web",
        "Edge",
        "Backend-for-frontend used by the iOS and Android apps",
        ("public-api-gateway",),
    ),
    ("admin-portal", "web", "Platform", "Internal admin and support tooling", ("internal-api-gateway",)),
    (
        "public-api-gateway",
        "gateway",
        "Platform",
        "Public REST gateway: auth, rate limits, routing",
        ("auth-api", "payments-api", "checkout-api", "orders-service", "catalog-service", "search-api"),
    ),
    (
        "graphql-gateway",
        "gateway",
        "Platform",
        "GraphQL federation gateway for web clients",
        ("catalog-service", "cart-service", "pricing-service", "recommendations-api", "reviews-service"),
    ),
    (
        "internal-api-gateway",
        "gateway",
        "Platform",
        "mTLS gateway for internal callers",
        ("accounts-service", "refunds-service", "reporting-service", "orders-service"),
    ),
    (
        "auth-api",
        "service",
        "Identity",
        "Login, sessions and token issuance",
        ("accounts-db", "session-redis"),
    ),
    ("identity-service", "service", "Identity", "User identity, SSO and MFA", ("accounts-db", "twilio-sms")),
    (
        "accounts-service",
        "service",
        "Identity",
        "Customer accounts and profiles",
        ("accounts-db", "kafka-events"),
    ),
    (
        "payments-api",
        "service",
        "Payments",
        "Card and wallet payment authorisation",
        (
            "ledger-service",
            "fraud-scoring",
            "stripe-connector",
            "adyen-connector",
            "payments-db",
            "kafka-events",
        ),
    ),
    (
        "checkout-api",
        "service",
        "Checkout",
        "Checkout orchestration: cart to order",
        ("payments-api", "cart-service", "pricing-service", "inventory-service", "orders-service"),
    ),
    ("cart-service", "service", "Checkout", "Shopping carts", ("cart-redis", "catalog-service")),
    ("orders-service", "service", "Orders", "Order lifecycle and history", ("orders-db", "kafka-events")),
    (
        "fulfilment-service",
        "service",
        "Fulfilment",
        "Picking, packing and warehouse allocation",
        ("orders-service", "inventory-service", "rabbitmq-jobs"),
    ),
    (
        "shipping-service",
        "service",
        "Fulfilment",
        "Carrier labels and tracking",
        ("maps-geocoder", "orders-db"),
    ),
    (
        "inventory-service",
        "service",
        "Fulfilment",
        "Stock levels and reservations",
        ("inventory-db", "kafka-events"),
    ),
    ("catalog-service", "service", "Catalog & Search", "Product catalogue", ("catalog-db", "s3-assets")),
    (
        "search-api",
        "service",
        "Catalog & Search",
        "Product search and autocomplete",
        ("search-elasticsearch", "catalog-service"),
    ),
    (
        "pricing-service",
        "service",
        "Catalog & Search",
        "Prices, promotions and tax",
        ("catalog-db", "cart-redis"),
    ),
    (
        "ledger-service",
        "service",
        "Finance Engineering",
        "Double-entry ledger for money movement",
        ("ledger-db", "kafka-events"),
    ),
    (
        "billing-service",
        "service",
        "Finance Engineering",
        "Invoices and merchant billing",
        ("ledger-service", "ledger-db", "sendgrid-relay"),
    ),
    ("refunds-service", "service", "Payments", "Refunds and chargebacks", ("payments-api", "ledger-service")),
    ("fraud-scoring", "service", "Payments", "Real-time fraud risk scoring", ("payments-db", "kafka-events")),
    (
        "notifications-service",
        "service",
        "Notifications",
        "Email, SMS and push fan-out",
        ("sendgrid-relay", "twilio-sms", "rabbitmq-jobs", "kafka-events"),
    ),
    (
        "recommendations-api",
        "service",
        "Growth",
        "Personalised recommendations",
        ("analytics-warehouse", "catalog-service", "cart-redis"),
    ),
    ("reviews-service", "service", "Growth", "Product reviews and ratings", ("catalog-db", "s3-assets")),
    (
        "reporting-service",
        "service",
        "Data Platform",
        "Merchant reports and exports",
        ("analytics-warehouse", "s3-assets"),
    ),
    (
        "ledger-db",
        "database",
        "Data Platform",
        "PostgreSQL cluster behind the ledger (pgbouncer in front)",
        (),
    ),
    ("payments-db", "database", "Data Platform", "PostgreSQL cluster for payment intents", ()),
    ("orders-db", "database", "Data Platform", "PostgreSQL cluster for orders", ()),
    ("accounts-db", "database", "Data Platform", "PostgreSQL cluster for accounts", ()),
    ("catalog-db", "database", "Data Platform", "MySQL cluster for the product catalogue", ()),
    ("inventory-db", "database", "Data Platform", "PostgreSQL cluster for stock levels", ()),
    ("session-redis", "cache", "Platform", "Redis for login sessions", ()),
    ("cart-redis", "cache", "Platform", "Redis for carts and price caches", ()),
    ("kafka-events", "queue", "Data Platform", "Kafka cluster carrying domain events", ()),
    ("rabbitmq-jobs", "queue", "Platform", "RabbitMQ for background jobs", ()),
    ("search-elasticsearch", "search", "Catalog & Search", "Elasticsearch cluster for product search", ()),
    ("s3-assets", "storage", "Platform", "Object storage for images and exports", ()),
    ("analytics-warehouse", "database", "Data Platform", "Columnar warehouse fed from Kafka", ()),
    ("stripe-connector", "external", "Payments", "Adapter for Stripe card processing", ()),
    ("adyen-connector", "external", "Payments", "Adapter for Adyen card processing", ()),
    ("sendgrid-relay", "external", "Notifications", "Adapter for SendGrid email delivery", ()),
    ("twilio-sms", "external", "Notifications", "Adapter for Twilio SMS", ()),
    ("maps-geocoder", "external", "Fulfilment", "Adapter for the address geocoding provider", ()),
)


@dataclass(frozen=True)
class Service:
    """One service in the catalog."""

    name: str
    kind: str
    team: str
    description: str
    depends_on: tuple[str, ...]

    @property
    def layer(self) -> int:
        """0 for the edge, 3 for datastores, queues and third parties."""
        return _LAYER_OF_KIND[self.kind]


@dataclass(frozen=True)
class Topology:
    """Services by name plus the reverse edges (who calls a service)."""

    services: dict[str, Service]
    dependants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Memo for upstream(): asked for on every incident, and the graph never changes once built.
    _upstream: dict[tuple[str, int], tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def teams(self) -> tuple[str, ...]:
        """Team names in first-seen order (stable for a seed)."""
        return tuple(dict.fromkeys(service.team for service in self.services.values()))

    def upstream(self, name: str, depth: int = 2) -> tuple[str, ...]:
        """Services that call ``name`` directly or through up to ``depth`` hops, nearest first."""
        cached = self._upstream.get((name, depth))
        if cached is not None:
            return cached
        seen: dict[str, None] = {}
        frontier = [name]
        for _ in range(depth):
            frontier = [
                caller for node in frontier for caller in self.dependants.get(node, ()) if caller != name
            ]
            for caller in frontier:
                seen.setdefault(caller, None)
        self._upstream[(name, depth)] = tuple(seen)
        return self._upstream[(name, depth)]


def build_topology(rng: random.Random) -> Topology:
    """Build the service graph: the curated core plus a few seeded extra edges.

    Args:
        rng: the seeded stream that decides the extra edges.

    Returns:
        The topology, with every dependency pointing to a lower or equal layer.
    """
    services = {
        name: Service(name, kind, team, description, deps)
        for name, kind, team, description, deps in _SERVICES
    }
    domain = [s.name for s in services.values() if s.kind == "service"]
    backends = [s.name for s in services.values() if s.layer == 3]
    # A few seeded extra edges make two seeds' graphs differ without breaking the layering.
    for name in rng.sample(domain, k=6):
        extra = rng.choice(backends)
        current = services[name]
        if extra not in current.depends_on:
            services[name] = Service(
                current.name, current.kind, current.team, current.description, (*current.depends_on, extra)
            )
    dependants: dict[str, list[str]] = {}
    for service in services.values():
        for dependency in service.depends_on:
            dependants.setdefault(dependency, []).append(service.name)
    return Topology(services, {key: tuple(value) for key, value in dependants.items()})
