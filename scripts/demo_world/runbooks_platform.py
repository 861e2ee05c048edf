# ruff: noqa: E501  (prose, PromQL and shell commands are kept on one line, as written)
"""Runbook texts: the event backbone, customer services, catalog, and generic platform ones."""

from __future__ import annotations

from .rb import Runbook

KAFKA = Runbook(
    "events-kafka.md", "events-kafka", ("events-kafka", "schema-registry"),
    ("KafkaBrokerDown", "KafkaUnderReplicatedPartitions", "KafkaOfflinePartitions", "KafkaISRShrinking",
     "KafkaControllerChanged", "SchemaRegistryKafkaStoreErrors"),
    ("kafka", "data-platform", "tier-1"),
    """Three brokers (kafka-0..2, Strimzi, namespace `data-platform`), replication factor 3,
`min.insync.replicas=2`. Producers use acks=all, so one broker down is survivable; partitions
whose only in-sync replicas were on the failed broker go offline.

## 1. Broker down

**Checks.**
```
kubectl -n data-platform get pods -l strimzi.io/name=events-kafka-kafka
kubectl -n data-platform logs events-kafka-kafka-2 --previous | tail -50
kubectl -n data-platform get kafka events-kafka -o jsonpath='{.status.conditions}'
```
**Mitigation.** A pod in CrashLoopBackOff after a config change: revert the change (section 3).
A lost node: the pod reschedules with its PVC; wait for `KafkaUnderReplicatedPartitions` to
clear (10-20 min).

## 2. Under-replicated or offline partitions

```
kubectl -n data-platform exec events-kafka-kafka-0 -- bin/kafka-topics.sh --bootstrap-server localhost:9092 --describe --under-replicated-partitions
kubectl -n data-platform exec events-kafka-kafka-0 -- bin/kafka-topics.sh --bootstrap-server localhost:9092 --describe --unavailable-partitions
```
Never enable unclean leader election on `orders.*` or `payments.*` topics: it loses events.

## 3. Rolling upgrade gone wrong

During an upgrade Strimzi restarts one broker at a time. If a broker does not rejoin, stop the
roll and revert the `spec.kafka.version` / `inter.broker.protocol.version` change:
```
kubectl -n data-platform annotate kafka events-kafka strimzi.io/pause-reconciliation=true
git revert <upgrade-commit> && argocd app sync events-kafka
kubectl -n data-platform annotate kafka events-kafka strimzi.io/pause-reconciliation-
```
Consumers catch up on their own once partitions are back; expect lag alerts for 10-30 min.

## 4. Schema registry store errors

The registry keeps schemas in the `_schemas` topic; it fails writes while that partition is
offline. Reads are served from cache. Resolves with section 2.
""")

CONSUMER_LAG = Runbook(
    "kafka-consumer-lag.md", "Kafka consumer lag",
    ("clickstream-ingest-worker", "catalog-indexer-worker", "loyalty-service"),
    ("KafkaConsumerLagHigh", "IndexerCommitFailures"),
    ("kafka", "consumers"),
    """Lag alerts fire per consumer group. Many groups lagging at once is a broker problem, not a
consumer problem: check events-kafka first.

## 1. One group lagging

```
kubectl -n data-platform exec events-kafka-kafka-0 -- bin/kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --group <group>
```
Lag on every partition: the consumer is slow (scale it out, up to the partition count). Lag
on a few partitions: those partitions' leader is unhealthy.

## 2. Many groups lagging

Go to events-kafka.md. Do not restart consumers: rebalances make it worse.

## 3. Commit failures

`IndexerCommitFailures` means the group coordinator is unavailable; same as section 2.
""")

NOTIFICATIONS = Runbook(
    "notifications.md", "Customer notifications",
    ("notification-service", "email-worker", "sms-worker", "mailpost-api"),
    ("NotificationsDelayed", "EmailSendRateZero", "SMSSendRateZero", "KafkaConsumerLagHigh"),
    ("customer", "notifications"),
    """notification-service consumes domain events and fans out to email-worker (MailPost) and
sms-worker. Delays annoy customers; lost order confirmations cost support calls.

## 1. Nothing is being sent

`EmailSendRateZero` and `SMSSendRateZero` together: the event stream stopped (check
`KafkaConsumerLagHigh` and events-kafka). Email only: check https://status.mailpost.example.com
and `kubectl -n customer logs deploy/email-worker --since=10m | grep -i mailpost`.

## 2. Notifications delayed

Lag is drained in order after recovery. If the backlog is older than 2 hours, enable
`notifications.skip_marketing` so transactional mail goes first.
""")

REDIS = Runbook(
    "redis.md", "Redis clusters", ("session-redis", "cart-redis", "feature-store-redis"),
    ("RedisDown", "RedisMemoryHigh", "RedisRejectedConnections"),
    ("redis", "platform"),
    """session-redis (sessions, rate-limit counters), cart-redis (carts) and feature-store-redis
(risk model features). Redis Cluster, 3 shards x 2 replicas each.

## 1. Memory high or evictions

`redis-cli -h <cluster> --cluster info`, then `redis-cli -h <node> info memory`. Sessions and
counters may be evicted; carts must not (cart-redis runs `noeviction`).

## 2. A shard is down

Replicas are promoted automatically. Check with `redis-cli -h <node> cluster nodes | grep fail`.
""")

AUTH = Runbook(
    "auth-service.md", "auth-service and profiles", ("auth-service", "user-profile-service"),
    ("HighErrorRate", "HighRequestLatency", "JVMGCPauseHigh"),
    ("edge", "identity", "tier-1"),
    """auth-service issues and validates tokens for the gateway and most services; a failure
here looks like a site-wide outage. user-profile-service holds addresses and preferences.

## 1. Token validation failing

Every API route returning 401/5xx together: `kubectl -n edge logs deploy/auth-service --since=5m | jq -r .error | sort | uniq -c`.
Check session-redis and core-postgres. The gateway caches validated tokens for 60 s.

## 2. GC pauses

`JVMGCPauseHigh` alone is a warning; a heap dump goes to the team channel, not the incident.
""")

SEARCH = Runbook(
    "search.md", "Search", ("search-service", "search-elasticsearch", "catalog-indexer-worker"),
    ("SearchIndexFreshnessLag", "ElasticsearchClusterRed", "KafkaConsumerLagHigh"),
    ("catalog", "search"),
    """Product changes flow events-kafka -> catalog-indexer-worker -> search-elasticsearch ->
search-service.

## 1. Index stale

`SearchIndexFreshnessLag` with indexer lag: the event stream is behind (events-kafka.md).
Search still answers from the last index; prices are re-checked at cart time.

## 2. Cluster red

`curl -s es-search.catalog:9200/_cluster/health?pretty`; unassigned shards:
`curl -s es-search.catalog:9200/_cluster/allocation/explain?pretty`.
""")

CATALOG = Runbook(
    "catalog-services.md", "Catalog services",
    ("product-catalog-service", "pricing-service", "inventory-service", "recommendations-service",
     "reviews-service", "wishlist-service"),
    ("CacheHitRatioLow", "KubeHpaMaxedOut", "ContainerMemoryHigh", "HighRequestLatency"),
    ("catalog",),
    """Product data, prices, stock, recommendations, reviews and wishlists.

## 1. Recommendations at max replicas

`KubeHpaMaxedOut` on recommendations-service is common in seasonal campaigns; the page
degrades to bestsellers when it times out. Raise `maxReplicas` only after checking node capacity.

## 2. Pricing cache hit ratio low

Right after a price import the cache is cold; it recovers within an hour.

## 3. Inventory reservations failing

Checkout cannot reserve stock: check catalog-db and `kubectl -n catalog logs deploy/inventory-service`.
""")

LOYALTY = Runbook(
    "loyalty-promotions.md", "Loyalty and promotions", ("loyalty-service", "promotions-service"),
    ("PointsAccrualDelayed", "KafkaConsumerLagHigh"), ("customer", "checkout"),
    """promotions-service asks loyalty-service for a member's tier; loyalty-service asks
promotions-service which rewards apply. The two call each other: a slow one makes the other
slow, and timeouts can cascade in a loop.

## 1. Points accrual delayed

Accrual consumes `orders.completed` from events-kafka; delays clear when lag clears.

## 2. Mutual timeouts

Break the loop with `loyalty.static_tiers` (promotions uses yesterday's tier snapshot).
""")

CERTS = Runbook(
    "certificates.md", "TLS certificates", (), ("CertificateExpiringSoon",), ("tls", "platform"),
    """Certificates are issued by cert-manager (Let's Encrypt, DNS-01) and renew 30 days before
expiry. An expiry warning means renewal has been failing for two weeks.

## 1. Renewal failing

```
kubectl get certificate -A | grep -v True
kubectl -n <ns> describe certificaterequest <name>
```
Usually a DNS permission or rate limit. Force a retry: `cmctl renew -n <ns> <certificate>`.
""")

KUBE = Runbook(
    "kubernetes-workloads.md", "Kubernetes workloads", (),
    ("KubePodNotReady", "KubePodCrashLooping", "CPUThrottlingHigh", "KubeJobFailed",
     "NodeFilesystemSpaceFillingUp", "ContainerMemoryHigh"),
    ("kubernetes", "platform"),
    """Generic pod and node alerts. Check the service's own runbook first.

## 1. Pod not ready or crash looping

`kubectl -n <ns> describe pod <pod>` (events), `kubectl -n <ns> logs <pod> --previous`.

## 2. CPU throttling

Throttling of batch jobs is expected; of request-serving pods, raise the CPU limit.

## 3. Node filesystem filling up

`kubectl debug node/<node> -it --image=busybox -- df -h /host/var/lib`; usually images or logs.
""")

ANALYTICS = Runbook(
    "analytics-pipeline.md", "Analytics pipeline",
    ("analytics-loader", "clickstream-ingest-worker", "data-lake-bucket"),
    ("KubeJobFailed", "CPUThrottlingHigh", "KafkaConsumerLagHigh"),
    ("data-platform", "batch"),
    """Clickstream goes Kafka -> clickstream-ingest-worker -> data lake; analytics-loader loads the
lake into the warehouse hourly. Nothing customer-facing depends on it.

## 1. Loader job failed

Re-run: `kubectl -n data-platform create job --from=cronjob/analytics-loader analytics-loader-manual`.
The next hourly run catches up anyway.

## 2. CDC connectors

Pausing a Debezium connector leaves its replication slot on the source database, which then
retains WAL. Drop the slot or resume within 2 hours, and tell the database's owner.
""")
