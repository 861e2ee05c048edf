from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import opscontext_connectors.backstage as backstage
from opscontext.capabilities import capabilities_of
from opscontext.errors import SourceDataError, SourceUnavailableError
from opscontext.models import EdgeProvenance, Service
from opscontext.registry import ConnectorContext
from opscontext.yamlfast import load_documents
from opscontext_connectors.backstage.connector import BackstageFiles, BackstageFilesConfig
from opscontext_connectors.backstage.wire import entities_from

pytestmark = pytest.mark.anyio

DATA = Path(__file__).parent / "data" / "backstage" / "catalog"


def make(path: Path, name: str = "catalog") -> Any:
    config = BackstageFilesConfig.model_validate({"type": "backstage", "path": path})
    return BackstageFiles(ConnectorContext(name=name, config=config))


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(DATA, target)
    return target


def by_name(services: tuple[Service, ...]) -> dict[str, Service]:
    return {s.name: s for s in services}


def test_file_connector_offers_catalog_and_topology() -> None:
    assert capabilities_of(backstage.spec.factory) == ["catalog", "topology"]
    assert backstage.spec.cacheable is False


async def test_directory_is_searched_recursively_for_yaml_and_yml() -> None:
    snapshot = await make(DATA).catalog()
    # payments-db lives in infra/resources.yml: recursion and the .yml suffix both matter.
    assert sorted(by_name(snapshot.services)) == [
        "checkout-web",
        "fraud-check",
        "payment-service",
        "payments-db",
        "stripe",
    ]


async def test_components_map_to_services_with_owner_tier_aliases_and_links() -> None:
    svc = by_name((await make(DATA).catalog()).services)["payment-service"]
    assert (svc.title, svc.kind, svc.type, svc.owner, svc.system) == (
        "Payment Service",
        "component",
        "service",
        "payments-team",
        "payments",
    )
    assert svc.lifecycle == "production"
    assert svc.tier == "tier-1"
    assert svc.aliases == (
        "payments",
        "pay-svc",
        "PX7Q2LM",
        "example/payments-api-server",
        "payments-api-server",
    )
    assert [(link.title, link.type) for link in svc.links] == [
        ("Payment service runbook", "runbook"),
        ("Grafana", "dashboard"),
        ("Team channel", "chat"),
    ]
    assert svc.annotations["backstage.io/techdocs-ref"] == "dir:."
    assert svc.source == "catalog"


async def test_owner_falls_back_to_the_system_owner_and_websites_are_user_facing() -> None:
    svc = by_name((await make(DATA).catalog()).services)["checkout-web"]
    assert svc.owner == "payments-team"
    assert svc.user_facing is True
    assert svc.tier == "tier-2"


async def test_resources_and_external_providers_keep_their_kind() -> None:
    services = by_name((await make(DATA).catalog()).services)
    assert services["payments-db"].kind == "resource"
    assert services["payments-db"].aliases == ("payments-postgres",)
    assert services["stripe"].kind == "external"


async def test_owner_refs_match_case_insensitively_and_drop_kind_and_namespace() -> None:
    services = by_name((await make(DATA).catalog()).services)
    assert services["fraud-check"].owner == "platform-team"


async def test_groups_become_teams_with_members_from_both_sides() -> None:
    snapshot = await make(DATA).catalog()
    teams = {t.name: t for t in snapshot.teams}
    payments = teams["payments-team"]
    assert payments.title == "Payments"
    assert payments.email == "payments@example.com"
    assert payments.chat_channel == "#payments-oncall"
    assert payments.parent == "engineering"
    # alice is listed by the group; bob only says memberOf on his User entity.
    assert payments.members == ("alice", "bob")
    assert teams["platform-team"].members == ("bob",)
    assert teams["platform-team"].parent == "engineering"


async def test_users_become_people_with_profile_and_phone() -> None:
    people = {p.name: p for p in (await make(DATA).catalog()).people}
    assert people["alice"].display_name == "Alice Moreau"
    assert people["alice"].email == "alice@example.com"
    assert people["alice"].phone == "+44 20 7946 0001"


async def test_edges_cover_depends_on_dependency_of_and_apis_without_duplicates() -> None:
    edges = await make(DATA).edges()
    pairs = [(e.dependent, e.dependency, e.kind) for e in edges]
    assert pairs == [
        ("checkout-web", "payment-service", "api"),
        ("checkout-web", "stripe", "depends_on"),
        ("payment-service", "fraud-check", "depends_on"),
        # unknown to the catalog, still drawn so the gap is visible
        ("payment-service", "ledger-service", "depends_on"),
        # declared from both ends (dependsOn and dependencyOf), reported once
        ("payment-service", "payments-db", "depends_on"),
    ]
    assert {e.provenance for e in edges} == {EdgeProvenance.DECLARED}
    assert {e.source for e in edges} == {"catalog"}


async def test_a_single_file_path_is_read_on_its_own() -> None:
    snapshot = await make(DATA / "org.yaml").catalog()
    assert snapshot.services == ()
    assert [t.name for t in snapshot.teams] == ["engineering", "payments-team", "platform-team"]


async def test_edits_are_seen_without_rebuilding_the_connector(catalog_dir: Path) -> None:
    connector = make(catalog_dir)
    assert "search" not in by_name((await connector.catalog()).services)
    (catalog_dir / "search.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        "metadata: {name: search, labels: {tier: tier3}}\n"
        "spec: {type: service, owner: platform-team, dependsOn: [payment-service]}\n"
    )
    services = by_name((await connector.catalog()).services)
    assert services["search"].tier == "tier-3"
    assert ("search", "payment-service") in {(e.dependent, e.dependency) for e in await connector.edges()}
    org = catalog_dir / "org.yaml"
    org.write_text(org.read_text().replace("displayName: Payments", "displayName: Payments & Billing"))
    teams = {t.name: t for t in (await connector.catalog()).teams}
    assert teams["payments-team"].title == "Payments & Billing"


async def test_a_missing_path_is_reported_unavailable(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailableError) as info:
        await make(tmp_path / "nope", name="bs").catalog()
    assert info.value.instance == "bs"


async def test_one_corrupt_file_is_skipped_and_reported_with_its_line(catalog_dir: Path) -> None:
    # Was: named only by check(); now a problem of the load, so the hub reports the source degraded.
    (catalog_dir / "broken.yaml").write_text("apiVersion: backstage.io/v1alpha1\nkind: [Component\n")
    connector = make(catalog_dir)
    assert len((await connector.catalog()).services) == 5
    assert "1 of 5 files failed: catalog/broken.yaml: line 3: " in connector.problems().summary()


async def test_a_file_whose_yaml_breaks_after_good_documents_is_left_out_whole(catalog_dir: Path) -> None:
    # Documents are validated as they are parsed; those before the fault must not be kept.
    (catalog_dir / "late.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: early}\n"
        "spec: {owner: team-a}\n---\nkind: [Component\n"
    )
    connector = make(catalog_dir)
    assert "early" not in by_name((await connector.catalog()).services)
    assert "catalog/late.yaml: line" in connector.problems().summary()


async def test_edge_endpoints_are_the_catalogs_own_name_strings() -> None:
    connector = make(DATA)
    names = {s.name: s.name for s in (await connector.catalog()).services}
    edges = await connector.edges()
    inside = [e for e in edges if e.dependent in names and e.dependency in names]
    assert inside
    for e in inside:
        assert e.dependent is names[e.dependent] and e.dependency is names[e.dependency]


async def test_a_wholly_corrupt_source_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "catalog-info.yaml").write_text("kind: {unclosed\n")
    with pytest.raises(SourceDataError):
        await make(tmp_path / "catalog-info.yaml").catalog()


async def test_a_directory_without_yaml_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# nothing here\n")
    with pytest.raises(SourceDataError, match=r"no \*\.yaml"):
        await make(tmp_path).catalog()


async def test_malformed_entities_are_skipped_and_counted(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {title: no name}\n---\n"
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: ok}\n"
        "spec: {owner: team-a}\n"
    )
    connector = make(tmp_path)
    assert [s.name for s in (await connector.catalog()).services] == ["ok"]
    assert "left out 1 entry" in await connector.check()
    assert (
        "c.yaml: document 1 (Component without a name) left out: malformed (metadata.name: Field required)"
        in connector.problems().summary()
    )


async def test_unquoted_yaml_scalars_in_labels_and_annotations_are_read_as_strings(
    tmp_path: Path,
) -> None:
    (tmp_path / "c.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        "metadata:\n  name: api\n  labels: {tier: 1}\n"
        "  annotations: {opscontext.io/user-facing: true, opscontext.io/external: yes}\n"
    )
    svc = (await make(tmp_path).catalog()).services[0]
    assert (svc.tier, svc.user_facing, svc.kind) == ("tier-1", True, "external")


async def test_an_unquoted_date_in_an_annotation_is_kept_as_written_not_a_malformed_entity(
    tmp_path: Path,
) -> None:
    # YAML 1.1 reads 2024-01-15 as a date; Backstage (YAML 1.2) as the string it is.
    (tmp_path / "c.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        "metadata:\n  name: api\n  labels: {since: 2024-01-15}\n"
        "  annotations: {example.com/reviewed: 2025-03-01 10:00:00Z}\n"
    )
    connector = make(tmp_path)
    snapshot = await connector.catalog()
    assert [s.name for s in snapshot.services] == ["api"]
    assert not connector.problems().summary()
    entities, bad = entities_from(load_documents((tmp_path / "c.yaml").read_text()))
    assert bad == 0
    assert entities[0].metadata.labels == {"since": "2024-01-15"}
    assert entities[0].metadata.annotations == {"example.com/reviewed": "2025-03-01T10:00:00+00:00"}


async def test_check_reports_counts() -> None:
    line = await make(DATA).check()
    assert line == "4 files: 5 services, 3 teams, 2 people, 5 edges"


COMPONENT = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: {name}}}\nspec: {{owner: {owner}}}\n"


async def test_an_entity_of_a_misspelt_kind_is_reported_with_the_kind_it_likely_meant(catalog_dir: Path) -> None:
    # Was: read past as "not a kind we map"; payment-service vanished and the source stayed ok.
    info = catalog_dir / "payments" / "catalog-info.yaml"
    good = "kind: Component\nmetadata:\n  name: payment-service"
    info.write_text(info.read_text().replace(good, good.replace("Component", "Componnet")))
    connector = make(catalog_dir)
    assert "payment-service" not in by_name((await connector.catalog()).services)
    assert (
        "catalog/payments/catalog-info.yaml: Componnet 'payment-service' left out: unknown kind 'Componnet'; "
        "did you mean Component?" in connector.problems().summary()
    )
    assert "left out 1 entry" in await connector.check()


async def test_a_catalog_of_nothing_but_other_yaml_fails_saying_it_held_no_services(tmp_path: Path) -> None:
    # Was: "ok, 0 services"; every alert then looked unattributed, blamed on the label setting.
    (tmp_path / "junk.yaml").write_text("hello world\n")
    with pytest.raises(SourceDataError) as info:
        await make(tmp_path, name="bs").catalog()
    assert "the file held no services, teams or people" in str(info.value)


async def test_other_yaml_beside_the_descriptors_is_read_past_and_entity_mistakes_reported(tmp_path: Path) -> None:
    # A directory is searched recursively: a CI workflow, an OpenAPI document or a Helm chart
    # beside catalog-info.yaml is no fault of the catalog. What was meant as an entity is.
    (tmp_path / "a.yaml").write_text(COMPONENT.format(name="api", owner="team-a"))
    (tmp_path / "ci.yml").write_text("on: push\njobs: {build: {runs-on: ubuntu-latest}}\n")
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: api\nversion: 1.0.0\n")
    (tmp_path / "hosts.yaml").write_text("- 10.0.0.1\n- 10.0.0.2\n")
    (tmp_path / "meant.yaml").write_text(
        "kind: Component\nmetadata: {name: web}\n---\n"
        "- " + COMPONENT.format(name="cart", owner="team-a").replace("\n", "\n  ")
    )
    connector = make(tmp_path)
    assert [s.name for s in (await connector.catalog()).services] == ["api"]
    problems = connector.problems().problems
    assert [p.where.rsplit("/", 1)[-1] for p in problems] == ["meant.yaml", "meant.yaml"]
    summary = connector.problems().summary()
    assert "Component 'web' left out: no apiVersion; entities declare apiVersion: backstage.io/v1alpha1" in summary
    assert "document 2 left out: a list of entities; write each entity as its own YAML document" in summary


async def test_a_misspelt_api_version_is_reported_not_taken_for_another_api(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        COMPONENT.format(name="api", owner="team-a") + "---\n"
        + COMPONENT.format(name="web", owner="team-a").replace("backstage.io/", "backstge.io/")
    )
    connector = make(tmp_path)
    assert [s.name for s in (await connector.catalog()).services] == ["api"]
    assert "Component 'web' left out: apiVersion 'backstge.io/v1alpha1' is not Backstage's" in (
        connector.problems().summary()
    )


async def test_known_kinds_opscontext_does_not_use_and_other_apis_objects_leave_the_source_ok(
    tmp_path: Path,
) -> None:
    (tmp_path / "all.yaml").write_text(
        COMPONENT.format(name="api", owner="team-a") + "---\n"
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: all}\n"
        "spec: {targets: [./a.yaml]}\n---\n"
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: new-service}\n"
        "spec: {type: service, steps: []}\n---\n"
        "apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata: {name: commerce}\n"
        "spec: {owner: team-a}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec: {replicas: 1}\n---\n"
        "apiVersion: backstage.example.com/v1\nkind: Pipeline\nmetadata: {name: build}\n---\n"
    )
    connector = make(tmp_path)
    assert [s.name for s in (await connector.catalog()).services] == ["api"]
    assert connector.problems().problems == ()
    assert await connector.check() == "1 files: 1 services, 0 teams, 0 people, 0 edges"


async def test_the_example_catalog_reads_without_a_problem() -> None:
    connector = make(DATA)
    await connector.catalog()
    assert connector.problems().problems == ()


async def test_a_service_defined_twice_keeps_the_first_and_names_both_files_and_owners(
    catalog_dir: Path,
) -> None:
    # Was: the file that sorted last won silently (here: the owner changed to orders, "ok").
    (catalog_dir / "zzz.yaml").write_text(COMPONENT.format(name="Payment-Service", owner="group:default/orders"))
    connector = make(catalog_dir)
    assert by_name((await connector.catalog()).services)["payment-service"].owner == "payments-team"
    assert (
        "catalog/zzz.yaml: Component 'Payment-Service' left out: defined again "
        "(first in catalog/payments/catalog-info.yaml, used); the owners disagree: payments-team there, orders here"
    ) in connector.problems().summary()


async def test_the_first_definition_in_path_order_is_used_whichever_file_it_is(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(COMPONENT.format(name="api", owner="team-a"))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "api.yaml").write_text(COMPONENT.format(name="api", owner="team-a"))
    connector = make(tmp_path)
    assert [s.owner for s in (await connector.catalog()).services] == ["team-a"]
    summary = connector.problems().summary()
    here, first = f"{tmp_path.name}/b/api.yaml", f"{tmp_path.name}/a.yaml"
    assert f"{here}: Component 'api' left out: defined again (first in {first}, used)" in summary
    assert "owners disagree" not in summary  # the same owner: a duplicate all the same


async def test_a_component_and_a_resource_of_one_name_are_one_service_and_reported(tmp_path: Path) -> None:
    # Backstage tells component:db and resource:db apart; opscontext's services are named alone.
    (tmp_path / "a.yaml").write_text(
        COMPONENT.format(name="db", owner="team-a") + "---\n"
        + COMPONENT.format(name="db", owner="team-b").replace("Component", "Resource")
    )
    connector = make(tmp_path)
    services = (await connector.catalog()).services
    assert [(s.name, s.kind, s.owner) for s in services] == [("db", "component", "team-a")]
    assert "Resource 'db' left out: it and Component 'db' (in " in connector.problems().summary()


async def test_a_catalog_of_teams_without_services_serves_them_degraded() -> None:
    connector = make(DATA / "org.yaml")
    snapshot = await connector.catalog()
    assert snapshot.services == () and len(snapshot.teams) == 3
    assert "org.yaml: the file held no services (no Component or Resource entity)" in (
        connector.problems().summary()
    )


async def test_only_the_first_few_documents_left_out_of_a_file_are_named(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(COMPONENT.format(name="api", owner="team-a"))
    (tmp_path / "junk.yaml").write_text("---\n".join(f"kind: Component\nmetadata: {{name: c{i}}}\n" for i in range(8)))
    connector = make(tmp_path)
    await connector.catalog()
    problems = connector.problems().problems
    assert [p.reason for p in problems][-1] == "3 more documents left out"
    assert len(problems) == 6
    assert "left out 8 entries" in await connector.check()
