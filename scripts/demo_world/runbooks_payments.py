# ruff: noqa: E501  (prose, PromQL and shell commands are kept on one line, as written)
"""Runbook texts: payments, checkout and the edge. Written the way the owning teams keep them."""

from __future__ import annotations

from .rb import Runbook

PAYMENT_SERVICE = Runbook(
    "payment-service.md", "payment-service",
    ("payment-service", "payment-vault", "paystream-gateway"),
    ("HighErrorRate", "PaymentAuthorizationFailureRate", "HighRequestLatency", "ErrorBudgetBurnFast",
     "ErrorBudgetBurnSlow", "PSPRequestRejected", "PSPClientErrorRatio"),
    ("payments", "tier-1", "pci"),
    """payment-service authorizes and captures every card and wallet payment through Paystream.
It is tier 1: while it fails, nobody can check out. Owner: Payments (#team-payments).
Dashboard: https://grafana.larkspur.example/d/payment-service/overview

## 1. Authorization failures

**Symptoms.** `PaymentAuthorizationFailureRate` fires; checkout shows "We could not process your
payment"; `HighErrorRate` on the `payment-service-v2` pods.

**Checks.**
```
kubectl -n payments logs deploy/payment-service-v2 --since=10m | grep -c 'psp_error'
kubectl -n payments logs deploy/payment-service-v2 --since=10m | jq -r '.psp_code' | sort | uniq -c
```
- Decline codes (`card_declined`, `insufficient_funds`) rising evenly: customer-side, not ours.
- `invalid_request` / HTTP 400 from Paystream: we send something Paystream rejects. Go to
  section 3 (bad deploy) first: this is almost always our own change.
- HTTP 5xx or timeouts from Paystream: go to section 2.

**Mitigation.** Never disable fraud screening to "get payments through".

## 2. Paystream degraded or down

**Symptoms.** `PSPRequestRejected` with 5xx status, timeouts in `psp_request_duration_seconds`,
https://status.example-payments.com shows an incident.

**Checks.** `curl -s https://status.example-payments.com/api/v2/status.json | jq .status`

**Mitigation.** Enable the `payments.psp_failover_queue` flag: authorizations are queued and
retried for up to 15 minutes, checkout tells customers "payment pending". Open the Paystream
vendor bridge (escalation step 4) if their status page is green but we see 5xx.

## 3. Bad deploy / rollback

**Symptoms.** Errors or latency start within ~10 minutes of a payment-service deploy; often
`PSPClientErrorRatio` (HTTP 4xx from Paystream) because the request shape changed.

**Checks.**
```
argocd app history payment-service | tail -5
kubectl -n payments rollout history deployment/payment-service-v2
kubectl -n payments get pods -l app=payment-service -o jsonpath='{..image}' | tr ' ' '\\n' | sort | uniq -c
```
Compare the deploy time with the first alert's `startsAt`. If the first alert follows the
deploy, roll back first and debug later.

**Mitigation.**
```
argocd app rollback payment-service <previous-revision>
# or, if Argo CD is unavailable:
kubectl -n payments rollout undo deployment/payment-service-v2
kubectl -n payments rollout status deployment/payment-service-v2 --timeout=5m
```
Watch `PaymentAuthorizationFailureRate` recover within 3-5 minutes. Freeze further deploys
(`/deploy-freeze payments` in #deployments) and tell #incident-commerce the version rolled back.
Payments captured while broken are safe: the ledger reconciles from Paystream's webhook log.

## 4. Latency and retry storms

**Symptoms.** `HighRequestLatency`, checkout `ThreadPoolSaturation`. payment-service retries
Paystream 3 times with backoff; under errors this triples outbound traffic.

**Mitigation.** Lower `PSP_MAX_RETRIES` to 1 via the `payments.psp_retries` flag; scale out
with `kubectl -n payments scale deploy/payment-service-v2 --replicas=10` only if CPU bound.

## 5. Escalation

Primary on-call (payments-primary), then secondary, then the Payments lead, then the Director
of Engineering. The Paystream vendor bridge joins for provider-side problems.
""")

LEDGER = Runbook(
    "ledger-and-refunds.md", "Ledger, refunds and fraud screening",
    ("ledger-service", "refund-worker", "fraud-service", "risk-scoring-service", "feature-store-redis"),
    ("RequestRateDropped", "NoCaptureEvents", "RefundJobsFailing"),
    ("payments", "ledger"),
    """The money trail behind payment-service: fraud screening before authorization, ledger
entries after capture, refunds on request.

## 1. Ledger receives no captures

**Symptoms.** `NoCaptureEvents` / `RequestRateDropped` on ledger-service.

**Checks.** A silent ledger almost always means no payments are being captured upstream. Check
payment-service first (`PaymentAuthorizationFailureRate`). Only if payments succeed:
`kubectl -n payments logs deploy/ledger-service --since=10m | grep -i error`.

**Mitigation.** Nothing to do in the ledger when upstream is failing. If the ledger itself is
broken, captures queue on the `payments.captured` topic and are replayed on recovery.

## 2. Refund jobs failing

**Symptoms.** `RefundJobsFailing`. Refunds call payment-service, so they fail with it.

**Checks.** `kubectl -n payments logs deploy/refund-worker --since=15m | jq -r .error | sort | uniq -c`

**Mitigation.** Pause the worker (`kubectl -n payments scale deploy/refund-worker --replicas=0`)
if it is hammering a failing payment-service; refunds are retried from the queue later.

## 3. Fraud screening slow

**Symptoms.** fraud-service p99 above 300 ms, risk-scoring-service timeouts, feature-store-redis
latency. **Mitigation.** Enable `fraud.rules_only` (rule-based screening without the model).
""")

CHECKOUT = Runbook(
    "checkout-service.md", "checkout-service",
    ("checkout-service", "cart-service", "cart-redis"),
    ("HighErrorRate", "HighRequestLatency", "ThreadPoolSaturation", "CheckoutConversionDrop",
     "ErrorBudgetBurnFast"),
    ("checkout", "tier-1"),
    """checkout-service orchestrates a checkout: cart, promotions, tax, inventory reservation,
payment. It owns little state; most of its failures are a dependency failing.

## 1. Checkout errors: find the failing dependency

**Checks.**
```
kubectl -n checkout logs deploy/checkout-service --since=10m | jq -r '.downstream' | sort | uniq -c
```
Open the "Checkout dependencies" row of the dashboard: the dependency whose error rate rose
first is the suspect. payment-service errors mean: follow the payment-service runbook and tell
#team-payments; do not restart checkout.

## 2. Thread pool saturation

**Symptoms.** `ThreadPoolSaturation`; latency rises while CPU is low. Threads are waiting on a
slow dependency. **Mitigation.** Lower `CHECKOUT_DOWNSTREAM_TIMEOUT_MS` via the
`checkout.fast_fail` flag (3000 -> 800 ms) so users get an error page fast.

## 3. Conversion drop without errors

Check the web funnel (`ConversionRateDrop`) and promotions: a broken coupon campaign can drop
conversion without a single 5xx.

## 4. Cart data (cart-redis)

`redis-cli -h cart-redis.checkout info memory`; carts survive a failover, sessions do not.
""")

GATEWAY = Runbook(
    "api-gateway.md", "api-gateway and edge services",
    ("api-gateway", "rate-limiter", "feature-flags-service"),
    ("UpstreamErrorRate", "UpstreamLatencyHigh"),
    ("edge", "platform", "tier-1"),
    """The Envoy gateway fronts every public API. It rarely fails on its own; its alerts are labelled
with `route`, which names the upstream service that is actually failing.

## 1. Upstream errors on a route

**Checks.** Map the route to its upstream:
```
kubectl -n edge get httproute -o custom-columns=NAME:.metadata.name,PATH:.spec.rules[*].matches[*].path.value,BACKEND:.spec.rules[*].backendRefs[*].name
```
If only some routes fail, page the upstream's owner; the gateway is a messenger. If every
route fails at once, suspect the gateway itself (section 4) or auth-service.

## 2. Latency

`UpstreamLatencyHigh` on a route with normal upstream latency means gateway pods are CPU
starved: `kubectl -n edge top pods -l app=api-gateway`.

## 3. 429s and the rate limiter

If rate-limiter is down the gateway fails open (no limits). A spike of 429s after a config
change: `kubectl -n edge rollout undo deploy/rate-limiter`.

## 4. Gateway config rollback

```
argocd app history api-gateway
argocd app rollback api-gateway <previous-revision>
```
""")

STOREFRONT = Runbook(
    "web-storefront.md", "Storefront web and mobile",
    ("web-storefront", "mobile-bff", "mobile-app", "seo-renderer"),
    ("RouteErrorRate", "RUMLargestContentfulPaintHigh", "ConversionRateDrop", "BlackboxProbeFailed",
     "HighErrorRate"),
    ("storefront", "user-facing", "tier-1"),
    """www.larkspur.example (Next.js, server-side rendered) and the BFF behind the mobile apps. Page
errors are almost always API errors underneath: the `route` label says which journey.

## 1. A route is failing

| route | API behind it | owner |
|---|---|---|
| /checkout, /checkout/* | /api/v1/checkout, /api/v1/payments/* | checkout, payments |
| /account/orders, /account/returns | /api/v1/orders, /api/v1/returns | orders |
| /search | /api/v1/search | catalog |

Check the gateway's `UpstreamErrorRate` for the matching API route, then page that owner.

## 2. Slow pages (RUM)

`RUMLargestContentfulPaintHigh` is inhibited while the same route has `RouteErrorRate`. Alone,
check the CDN hit ratio and storefront-assets-bucket latency.

## 3. Conversion drop

`ConversionRateDrop` summarises the funnel; use the `funnel` label and the route alerts to
find the broken step. Post in #incident-commerce; marketing pauses paid campaigns above 30% drop.

## 4. Rolling back the storefront

`argocd app rollback web-storefront <previous-revision>`; the CDN cache needs no purge (hashed assets).
""")
