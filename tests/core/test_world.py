"""Joining several catalogs: the right joins happen and the wrong ones never do."""

from opscontext.models import CatalogSnapshot, Service
from opscontext.world import merge_catalogs


def test_two_services_of_one_catalog_never_merge_even_when_a_title_looks_like_a_name() -> None:
    snap = CatalogSnapshot(services=(
        Service(name="checkout", title="Checkout Service", owner="team-a"),
        Service(name="checkout-service", owner="team-b"),
    ))
    merged = {s.name: s.owner for s in merge_catalogs([snap]).services}
    assert merged == {"checkout": "team-a", "checkout-service": "team-b"}


def test_a_cmdb_service_merges_into_the_catalog_one_by_alias_and_fills_gaps() -> None:
    backstage = CatalogSnapshot(services=(Service(name="payment-service", owner="payments", source="bs"),))
    cmdb = CatalogSnapshot(services=(
        Service(name="Payment Service", aliases=("payment-service",), tier="tier-1", source="sn"),
        Service(name="Payroll", source="sn"),
    ))
    merged = {s.name: s for s in merge_catalogs([backstage, cmdb]).services}
    assert set(merged) == {"payment-service", "Payroll"}
    assert merged["payment-service"].tier == "tier-1" and merged["payment-service"].owner == "payments"
    assert "Payment Service" in merged["payment-service"].aliases


def test_a_title_alone_does_not_join_services_across_catalogs() -> None:
    one = CatalogSnapshot(services=(Service(name="checkout", title="Checkout Service"),))
    two = CatalogSnapshot(services=(Service(name="checkout-service"),))
    assert {s.name for s in merge_catalogs([one, two]).services} == {"checkout", "checkout-service"}
