"""ServiceNow as a service catalog, topology, change, alert (open incidents) and on-call source."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from opscontext.capabilities import AlertSource, ChangeSource, OnCallSource, ServiceCatalog, TopologySource
from opscontext.items import read_each
from opscontext.models import (
    Alert,
    CatalogSnapshot,
    Change,
    DependencyEdge,
    OnCallShift,
    Person,
    Service,
    Team,
    TimeWindow,
)
from opscontext.registry import ConnectorContext
from opscontext_connectors.servicenow import mapping
from opscontext_connectors.servicenow.client import ServiceNowClient, halts
from opscontext_connectors.servicenow.config import ServiceNowConfig
from opscontext_connectors.servicenow.wire import (
    DATE_FORMAT,
    ChangeRecord,
    CiRecord,
    GroupRecord,
    IncidentRecord,
    MemberRecord,
    RelationRecord,
    RotaRecord,
    UserRecord,
)


def _and(*parts: str) -> str:
    return "^".join(p for p in parts if p)


def _ts(at: datetime) -> str:
    # Encoded-query date literals compare against the stored UTC value.
    return at.strftime(DATE_FORMAT)


class ServiceNowConnector(ServiceCatalog, TopologySource, ChangeSource, AlertSource, OnCallSource):
    """ServiceNow Table API and On-Call Scheduling: CMDB services and their CI relations, change
    requests, open incidents on those CIs, and who is on call for their assignment groups."""

    def __init__(self, ctx: ConnectorContext[ServiceNowConfig]):
        self.name = ctx.name
        self.cfg = ctx.config
        self.base_url = str(ctx.config.url).rstrip("/")
        self.client = ServiceNowClient(ctx.http_client(), self.cfg, instance=ctx.name)

    async def check(self) -> str:
        groups = await self.client.count("sys_user_group")
        seen = "an unknown number of" if groups is None else str(groups)
        return f"authenticated to {self.base_url}; {seen} groups visible"

    async def catalog(self) -> CatalogSnapshot:
        cis = await self._service_cis()
        groups = await self.client.records("sys_user_group", GroupRecord, self.cfg.group_query)
        # Members and people only add to the services and teams: without them it is partial.
        memberships = await self.client.records_by_id(
            "sys_user_grmember", MemberRecord, (g.sys_id.value for g in groups), field="group", required=False
        )
        owners = {ci.owned_by.value for _, ci in cis}
        users = await self.client.records_by_id(
            "sys_user", UserRecord, {m.user.value for m in memberships} | owners, required=False
        )
        return self._snapshot(cis, groups, memberships, users)

    async def edges(self) -> list[DependencyEdge]:
        types = self.cfg.dependency_relation_types
        if not types:
            return []
        relations = await self.client.records(
            "cmdb_rel_ci", RelationRecord, f"type.nameIN{','.join(types)}"
        )
        if self.cfg.relations_between_services_only:
            known = {ci.sys_id.value for _, ci in await self._service_cis()}
            relations = [r for r in relations if r.parent.value in known and r.child.value in known]
        forward = frozenset(types)
        found = (mapping.edge(r, forward_types=forward, source=self.name) for r in relations)
        return list({(e.dependent, e.dependency): e for e in found if e is not None}.values())

    async def changes(self, window: TimeWindow) -> list[Change]:
        since, until, extra = _ts(window.since), _ts(window.until), self.cfg.change_query
        # Implemented changes by their actual start; not-yet-started ones by their planned start.
        query = _and(f"work_start>={since}", f"work_start<={until}", extra)
        planned = _and("work_startISEMPTY", f"start_date>={since}", f"start_date<={until}", extra)
        records = await self.client.records("change_request", ChangeRecord, f"{query}^NQ{planned}")
        found = (mapping.change(r, base_url=self.base_url, source=self.name) for r in records)
        return [c for c in found if c is not None]

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        since, until, extra = _ts(window.since), _ts(window.until), self.cfg.incident_query
        # Open incidents on a CI, plus those resolved inside the window (they were active in it).
        still_open = _and("cmdb_ciISNOTEMPTY", "active=true", f"opened_at<={until}", extra)
        resolved = _and("cmdb_ciISNOTEMPTY", f"opened_at<={until}", f"resolved_at>={since}", extra)
        records = await self.client.records(
            "incident", IncidentRecord, f"{still_open}^NQ{resolved}"
        )
        found = (
            mapping.alert(
                r, severities=self.cfg.priority_severity, base_url=self.base_url, source=self.name
            )
            for r in records
        )
        return list({a.fingerprint: a for a in found if a is not None}.values())

    async def on_call(self, at: datetime) -> list[OnCallShift]:
        if self.cfg.oncall_group_ids:
            groups = await self.client.records_by_id(
                "sys_user_group", GroupRecord, self.cfg.oncall_group_ids
            )
        else:
            groups = await self.client.records("sys_user_group", GroupRecord, self.cfg.group_query)
        by_id = {g.sys_id.value: g for g in groups}
        entries = await self.client.who_is_on_call(sorted(by_id), at)
        users = await self.client.records_by_id("sys_user", UserRecord, (e.userId for e in entries))
        rotas = await self.client.records_by_id(
            "cmn_rota", RotaRecord, (e.rota for e in entries), required=False  # only their names
        )
        found = (
            mapping.shift(
                e,
                users={u.sys_id.value: u for u in users},
                groups=by_id,
                rotas={r.sys_id.value: r.name.label for r in rotas},
                at=at,
                source=self.name,
            )
            for e in entries
        )
        unique = {(s.person, s.team, s.schedule, s.level): s for s in found if s is not None}
        return list(unique.values())

    async def _service_cis(self) -> list[tuple[str, CiRecord]]:
        # One table the account may not read (an ACL on cmdb_ci_appl) costs only that table.
        read = await read_each(
            list(self.cfg.service_tables),
            lambda table: self.client.records(table, CiRecord, self.cfg.service_query),
            name=str,
            noun="service tables",
            instance=self.name,
            limit=self.cfg.max_concurrency,
            halts=halts,
        )
        return [(table, ci) for table, cis in read for ci in cis]

    def _snapshot(
        self,
        cis: list[tuple[str, CiRecord]],
        groups: list[GroupRecord],
        memberships: list[MemberRecord],
        users: list[UserRecord],
    ) -> CatalogSnapshot:
        by_user = {u.sys_id.value: u for u in users}
        group_names = {g.sys_id.value: g.name.label for g in groups}
        members: dict[str, list[str]] = defaultdict(list)  # group sys_id -> user sys_ids
        groups_of: dict[str, list[str]] = defaultdict(list)  # user sys_id -> group names
        for m in memberships:
            members[m.group.value].append(m.user.value)
            if m.group.value in group_names:
                groups_of[m.user.value].append(group_names[m.group.value])
        people = {p.name: p for p in self._people(by_user.values())}
        handles = {uid: mapping.person(u, source=self.name) for uid, u in by_user.items()}
        teams: list[Team] = []
        for g in groups:
            handles_in = sorted(
                {h.name for uid in members[g.sys_id.value] if (h := handles.get(uid))}
            )
            parent = mapping.slug(g.parent.display_value) or None
            built = mapping.team(g, tuple(handles_in), parent=parent, source=self.name)
            if built is not None:
                teams.append(built)
        services: dict[str, Service] = {}
        for table, ci in cis:
            owner = self._owner(ci, groups_of)
            svc = mapping.service(
                ci, table=table, owner=owner, base_url=self.base_url, source=self.name
            )
            if svc is not None:
                services.setdefault(svc.name, svc)
        return CatalogSnapshot(
            services=tuple(services.values()), teams=tuple(teams), people=tuple(people.values())
        )

    def _people(self, users: Iterable[UserRecord]) -> Iterable[Person]:
        for user in users:
            built = mapping.person(user, source=self.name)
            if built is not None:
                yield built

    def _owner(self, ci: CiRecord, groups_of: dict[str, list[str]]) -> str | None:
        """The first configured owner field that names a group, as a canonical team name."""
        for field in self.cfg.owner_fields:
            if field == "owned_by":
                # A person owns the CI: their group (first by name) is the owning team.
                names = sorted(groups_of.get(ci.owned_by.value, []))
                label = names[0] if names else ""
            else:
                label = getattr(ci, field).display_value
            if mapping.slug(label):
                return mapping.slug(label)
        return None
