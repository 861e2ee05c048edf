"""Backstage catalog descriptors: one multi-document catalog-info.yaml per system, plus the org.

Shapes follow Backstage's descriptor format (apiVersion backstage.io/v1alpha1; Component,
Resource, API, System, Group, User). Relations use full entity refs ("component:default/x")
the way large catalogs write them; opscontext-specific facts ride in annotations and labels.
"""

from __future__ import annotations

from typing import Any

from .world import BY_NAME, DEPARTMENTS, DIRECTOR, DOMAIN, SERVICES, SYSTEMS, TEAMS, Svc, owner_of

Doc = dict[str, Any]
API_VERSION = "backstage.io/v1alpha1"

# APIs: provider -> (api name, definition type, consumers). A slice of the real HTTP contracts.
APIS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "payment-service": ("payments-api", "openapi", ("checkout-service", "refund-worker")),
    "checkout-service": ("checkout-api", "openapi", ("api-gateway",)),
    "order-service": ("orders-api", "openapi", ("api-gateway", "returns-service")),
    "product-catalog-service": ("catalog-api", "openapi", ("api-gateway", "cart-service",
                                                           "recommendations-service")),
    "auth-service": ("auth-api", "openapi", ("api-gateway", "checkout-service", "order-service",
                                             "user-profile-service")),
    "search-service": ("search-api", "openapi", ("api-gateway",)),
    "inventory-service": ("inventory-api", "grpc", ("checkout-service", "order-service",
                                                    "warehouse-sync-worker")),
    "events-kafka": ("domain-events", "asyncapi", ()),
}


def ref(name: str) -> str:
    svc = BY_NAME[name]
    return f"{'resource' if svc.kind == 'Resource' else 'component'}:default/{name}"


def _links(svc: Svc) -> list[dict[str, str]]:
    links = [
        {"url": f"https://grafana.{DOMAIN}/d/{svc.name}/overview", "title": f"{svc.name} overview",
         "type": "dashboard", "icon": "dashboard"},
        {"url": f"https://git.{DOMAIN}/sre/runbooks/blob/main/{runbook_file(svc)}",
         "title": "Runbook", "type": "runbook", "icon": "docs"},
    ]
    if svc.external:
        links.append({"url": f"https://status.{svc.name.split('-')[0]}.example.com",
                      "title": "Vendor status page", "type": "status"})
    return links


def runbook_file(svc: Svc) -> str:
    """The runbook a service's catalog entry links to (kept in step with runbooks.py)."""
    from .runbooks import runbook_for  # local import: runbooks imports this module's helpers

    return runbook_for(svc.name)


def _annotations(svc: Svc) -> dict[str, str]:
    ann: dict[str, str] = {}
    if svc.kind == "Component" and not svc.external:
        ann["github.com/project-slug"] = f"larkspur/{svc.name}"
        ann["backstage.io/kubernetes-id"] = svc.name
        ann["backstage.io/kubernetes-namespace"] = svc.system
    if svc.tier == 1 or svc.kind == "Resource":
        ann["pagerduty.com/service-id"] = pagerduty_id(svc.name)
    if svc.aliases:
        ann["opscontext.io/aliases"] = ",".join(svc.aliases)
    return ann


def pagerduty_id(name: str) -> str:
    h, out = hash_name(name), "P"
    for _ in range(6):
        h, digit = divmod(h, 36)
        out += "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[digit]
    return out


def hash_name(name: str) -> int:
    """Stable small hash (Python's hash() is salted per process, so it cannot be used here)."""
    h = 2166136261
    for ch in name.encode():
        h = ((h ^ ch) * 16777619) & 0xFFFFFFFF
    return h


def entity(svc: Svc) -> Doc:
    team = owner_of(svc)
    labels = {"tier": str(svc.tier)}
    if svc.external:
        labels["opscontext.io/external"] = "true"
    spec: Doc = {"type": svc.type, "owner": f"group:default/{team.name}", "system": svc.system}
    if svc.kind == "Component":
        spec["lifecycle"] = svc.lifecycle
    if svc.deps:
        spec["dependsOn"] = [ref(d) for d in svc.deps]
    api = APIS.get(svc.name)
    if api:
        spec["providesApis"] = [api[0]]
    consumed = [a[0] for p, a in APIS.items() if svc.name in a[2] and p != svc.name]
    if consumed:
        spec["consumesApis"] = consumed
    tags = [svc.system, f"tier-{svc.tier}"] + (["user-facing"] if svc.user_facing else [])
    return {"apiVersion": API_VERSION, "kind": svc.kind, "metadata": {
        "name": svc.name, "title": svc.name.replace("-", " ").title(), "description": svc.desc,
        "labels": labels, "annotations": _annotations(svc), "tags": tags, "links": _links(svc)},
        "spec": spec}


def api_entity(provider: str) -> Doc:
    name, kind, _ = APIS[provider]
    team = owner_of(BY_NAME[provider])
    return {"apiVersion": API_VERSION, "kind": "API", "metadata": {
        "name": name, "description": f"Contract served by {provider}."},
        "spec": {"type": kind, "lifecycle": "production", "owner": f"group:default/{team.name}",
                 "system": BY_NAME[provider].system,
                 "definition": {"$text": f"https://git.{DOMAIN}/larkspur/{provider}/blob/main/api/{name}.yaml"}}}


def system_docs(system: str) -> list[Doc]:
    owner, desc = SYSTEMS[system]
    docs: list[Doc] = [{"apiVersion": API_VERSION, "kind": "System",
                        "metadata": {"name": system, "description": desc},
                        "spec": {"owner": f"group:default/{owner}"}}]
    for svc in SERVICES:
        if svc.system == system:
            docs.append(entity(svc))
            if svc.name in APIS:
                docs.append(api_entity(svc.name))
    return docs


def org_docs() -> list[Doc]:
    docs: list[Doc] = []
    for name, (title, head) in DEPARTMENTS.items():
        children = [d for d, _ in DEPARTMENTS.items() if _parent(d) == name]
        children += [t.name for t in TEAMS if t.parent == name]
        spec: Doc = {"type": "organization" if name == "engineering" else "department",
                     "profile": {"displayName": title, "email": f"{name}@{DOMAIN}"},
                     "children": children}
        if _parent(name):
            spec["parent"] = _parent(name)
        docs.append({"apiVersion": API_VERSION, "kind": "Group", "metadata": {
            "name": name, "description": f"{title}, led by {head}."}, "spec": spec})
    for t in TEAMS:
        docs.append({"apiVersion": API_VERSION, "kind": "Group", "metadata": {
            "name": t.name, "description": f"{t.title} team (lead: {t.lead}).",
            "annotations": {"opscontext.io/chat-channel": t.channel,
                            "opscontext.io/timezone": t.tz}},
            "spec": {"type": "team", "profile": {"displayName": t.title, "email": t.email},
                     "parent": t.parent, "children": [], "members": [p.user for p in t.members]}})
    for t in TEAMS:
        for p in t.members:
            docs.append(_user(p.user, p.name, p.phone, [t.name]))
    docs.append(_user(DIRECTOR.user, DIRECTOR.name, DIRECTOR.phone, ["engineering"]))
    return docs


def _user(user: str, name: str, phone: str, groups: list[str]) -> Doc:
    return {"apiVersion": API_VERSION, "kind": "User", "metadata": {
        "name": user, "annotations": {"opscontext.io/phone": phone}},
        "spec": {"profile": {"displayName": name, "email": f"{user}@{DOMAIN}"}, "memberOf": groups}}


def _parent(dept: str) -> str | None:
    return None if dept == "engineering" else "engineering"
