# ruff: noqa: E501  (prose, PromQL and shell commands are kept on one line, as written)
"""Runbook texts: orders, databases, fulfillment and small third-party dependencies."""

from __future__ import annotations

from .rb import Runbook

ORDERS_DB = Runbook(
    "orders-db.md", "orders-db (PostgreSQL)", ("orders-db",),
    ("PostgresDiskSpaceLow", "PostgresDiskSpaceCritical", "PostgresReplicationSlotWALRetention",
     "PostgresTooManyConnections", "PostgresReplicaLagHigh"),
    ("orders", "postgres", "database", "tier-1"),
    """orders-db is a PostgreSQL 15 primary (orders-db-0) with two streaming replicas, run by the
Zalando operator in namespace `orders`. order-service, order-history-service, invoice-service,
returns-service and fulfillment-worker all connect to it (through pgbouncer).

## 1. Data volume filling up

**Symptoms.** `PostgresDiskSpaceLow` (85%), then `PostgresDiskSpaceCritical` (97%). At 100%
PostgreSQL stops accepting writes and sessions hang.

**Checks.**
```
kubectl -n orders exec orders-db-0 -- df -h /var/lib/postgresql
kubectl -n orders exec orders-db-0 -- du -sh /var/lib/postgresql/data/pg_wal
kubectl -n orders exec orders-db-0 -- psql -c "select slot_name, active, pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) as retained from pg_replication_slots"
```
A large `pg_wal` with an inactive slot: go to section 2. Large tables: check for a runaway
batch (`select relname, pg_size_pretty(pg_total_relation_size(relid)) from pg_stat_user_tables order by 2 desc limit 10`).

**Mitigation.** Grow the volume online (gp3, no restart):
`kubectl -n orders patch pvc pgdata-orders-db-0 -p '{"spec":{"resources":{"requests":{"storage":"1200Gi"}}}}'`.

## 2. Replication slot retaining WAL

**Symptoms.** `PostgresReplicationSlotWALRetention` names the slot. An inactive logical slot
(for example a paused Debezium connector's `cdc_orders`) keeps every WAL segment forever.

**Mitigation.** Confirm with Data Platform (#team-data-platform) that the connector is paused,
then drop the slot; the connector re-snapshots when resumed:
```
kubectl -n orders exec orders-db-0 -- psql -c "select pg_drop_replication_slot('cdc_orders')"
```
WAL is recycled at the next checkpoint (`psql -c checkpoint`). Disk usage falls within minutes.

## 3. Connections exhausted

**Symptoms.** `PostgresTooManyConnections`; clients report `DBConnectionPoolExhausted`.
Usually a symptom: writes are stalled (disk full, locks) and sessions pile up.

**Checks.** `psql -c "select state, wait_event_type, count(*) from pg_stat_activity group by 1,2 order by 3 desc"`

**Mitigation.** Fix the stall first. Only then, if needed, terminate idle-in-transaction
sessions older than 5 minutes. Do not raise `max_connections` during an incident.

## 4. Replica lag

Replicas lag when the primary writes huge WAL or a replica's disk is slow. order-history reads
from replicas and may show stale orders; no action unless lag exceeds 10 minutes.

## 5. Failover

Only on primary hardware failure: `patronictl -c /etc/patroni.yml failover orders-db`. Never
fail over to escape a full disk: the replicas hold the same data.
""")

POSTGRES = Runbook(
    "postgres-shared.md", "Shared PostgreSQL clusters",
    ("core-postgres", "payments-db", "catalog-db", "fulfillment-db"),
    ("PostgresDiskSpaceLow", "PostgresTooManyConnections", "PostgresReplicaLagHigh"),
    ("postgres", "database", "platform"),
    """core-postgres is shared by auth, profiles, promotions, loyalty, reviews, wishlists and
feature flags: when it degrades, many teams page at once. payments-db, catalog-db and
fulfillment-db are dedicated clusters run the same way (Zalando operator, Patroni).

## 1. Who is hurting the shared cluster?

```
kubectl -n edge exec core-postgres-0 -- psql -c "select usename, count(*), sum(case when state='active' then 1 else 0 end) active from pg_stat_activity group by 1 order by 2 desc"
```
Each service has its own database user, so the top user names the noisy neighbour.

## 2. Connections, disk and replica lag

Same procedure as orders-db (sections 1-4 of orders-db.md).

## 3. Minor version upgrades

Rolling, replica first, then switchover. Expect one 5-10 s write pause; apps retry.
""")

ORDER_SERVICES = Runbook(
    "order-service.md", "Order services",
    ("order-service", "order-history-service", "invoice-service", "returns-service", "orders-archive-bucket"),
    ("DBConnectionPoolExhausted", "HighErrorRate", "HighRequestLatency", "ErrorBudgetBurnFast",
     "InvoiceGenerationFailing", "DBConnectionErrors"),
    ("orders", "tier-1"),
    """order-service creates orders; order-history-service serves "My orders"; invoice-service
renders PDFs into orders-archive-bucket; returns-service issues RMAs. All four share orders-db.

## 1. Everything in orders fails at once

All four services erroring together points at orders-db. Check `PostgresDiskSpaceCritical` and
`PostgresTooManyConnections` and follow orders-db.md; restarting the services only adds
reconnect storms.

## 2. Connection pool exhausted

**Checks.** `kubectl -n orders logs deploy/order-service --since=5m | grep -c 'Connection is not available'`
**Mitigation.** If orders-db is healthy, a slow query holds connections:
`psql -c "select pid, now()-query_start, query from pg_stat_activity where state <> 'idle' order by 2 desc limit 5"`.

## 3. Invoices failing

Invoices are retried for 24 h; customers are not affected until then. Low priority during a
wider incident.

## 4. Rollback

`argocd app rollback order-service <previous-revision>`; migrations are backwards compatible
for one release by policy.
""")

FULFILLMENT = Runbook(
    "fulfillment.md", "Fulfillment pipeline",
    ("fulfillment-worker", "shipping-service", "label-worker", "warehouse-sync-worker",
     "fulfillment-db", "parcelhub-api"),
    ("FulfillmentJobsFailing", "QueueBacklogGrowing", "ShipmentCreationRateZero", "NoLabelsPurchased",
     "WMSSyncStale", "NodeFilesystemSpaceFillingUp"),
    ("fulfillment", "warehouse"),
    """Paid orders become pick lists (fulfillment-worker), shipments (shipping-service) and carrier
labels (label-worker, via ParcelHub). Stock counts flow back from the WMS (warehouse-sync-worker).

## 1. Fulfillment jobs failing

fulfillment-worker reads order lines directly from orders-db. Failures together with orders
alerts mean orders-db; otherwise check fulfillment-db and the worker's logs:
`kubectl -n fulfillment logs deploy/fulfillment-worker --since=15m | jq -r .error | sort | uniq -c`.

## 2. No shipments or labels

`ShipmentCreationRateZero` and `NoLabelsPurchased` fire when no work arrives. Look upstream
(section 1) before touching shipping or labels. If work arrives but labels fail, check
https://status.parcelhub.example.com.

## 3. Backlog

The warehouse cut-off is 16:00 local. A backlog above 2,000 pick lists after 15:00 means
telling the warehouse lead (#warehouse-ops) that same-day shipping will slip.

## 4. WMS sync stale

`WMSSyncStale` flaps when the WMS SFTP drop is late; act only if it stays firing for 30 minutes.
""")

TAX = Runbook(
    "tax-service.md", "tax-service", ("tax-service", "taxrate-api"),
    ("ErrorBudgetBurnSlow", "ThirdPartyLatencyHigh"), ("checkout", "third-party"),
    """tax-service calculates sales tax and VAT, calling TaxRate Inc. with a 24 h rate cache.

## 1. TaxRate slow or down

`ThirdPartyLatencyHigh`: cached rates keep checkout working; enable `tax.cache_only` if errors
appear. Vendor status: https://status.taxrate.example.com.

## 2. Slow error budget burn

Usually malformed addresses from one market. `kubectl -n checkout logs deploy/tax-service | jq -r .country | sort | uniq -c`.
""")

BUCKETS = Runbook(
    "s3-buckets.md", "S3 buckets",
    ("storefront-assets-bucket", "product-images-bucket", "orders-archive-bucket", "data-lake-bucket"),
    (), ("s3", "storage", "platform"),
    """Buckets are managed in infra-live (Terraform). Versioning is on everywhere.

## 1. Access denied after a change

Check the last infra-live apply (`atlantis` comment in the PR) and the bucket policy:
`aws s3api get-bucket-policy --bucket <bucket> | jq -r .Policy | jq .`

## 2. Elevated 5xx from S3

Check the AWS Health dashboard; clients retry with backoff. Nothing to fix on our side.

## 3. Restoring deleted objects

`aws s3api list-object-versions --bucket <bucket> --prefix <key>`, then copy the version back.
""")
