"""Runbooks as Markdown files with YAML front matter (title, services, alerts, tags)."""

from __future__ import annotations

import yaml

from . import runbooks_orders as o
from . import runbooks_payments as p
from . import runbooks_platform as f
from .rb import Runbook

RUNBOOKS: tuple[Runbook, ...] = (
    p.PAYMENT_SERVICE, p.LEDGER, p.CHECKOUT, p.GATEWAY, p.STOREFRONT,
    o.ORDERS_DB, o.POSTGRES, o.ORDER_SERVICES, o.FULFILLMENT, o.TAX, o.BUCKETS,
    f.KAFKA, f.CONSUMER_LAG, f.NOTIFICATIONS, f.REDIS, f.AUTH, f.SEARCH, f.CATALOG, f.LOYALTY,
    f.CERTS, f.KUBE, f.ANALYTICS,
)


def runbook_for(service: str) -> str:
    """The runbook file a service links to: the first that lists it, else the generic one."""
    for rb in RUNBOOKS:
        if service in rb.services:
            return rb.file
    return "kubernetes-workloads.md"


def render(rb: Runbook) -> str:
    meta = {"title": rb.title, "services": list(rb.services), "alerts": list(rb.alerts),
            "tags": list(rb.tags)}
    front = yaml.safe_dump(meta, sort_keys=False, default_flow_style=None, width=100)
    return f"---\n{front}---\n\n# {rb.title}\n\n{rb.body.strip()}\n"
