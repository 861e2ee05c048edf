"""Alerts that have nothing to do with the incident: the background hum of a real estate.

Certificate warnings, a batch job eating CPU under a maintenance silence, a disk slowly filling,
an HPA at its ceiling since the morning, and three alerts that flap: each flapper keeps one
fingerprint while its episodes start and end between snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass

from .incident import Rule

H, M = 3600, 60


@dataclass(frozen=True)
class Noise:
    service: str
    start: int  # seconds relative to the anchor
    rule: Rule
    silenced: bool = False


@dataclass(frozen=True)
class Flapper:
    service: str
    rule: Rule
    episodes: tuple[tuple[int, int | None], ...]  # (start, end) relative to anchor; None = firing


def _host(name: str) -> tuple[tuple[str, str], ...]:
    return (("host", f"{name}.larkspur.example"), ("secret", f"{name}-tls"))


NOISE: tuple[Noise, ...] = (
    Noise("reviews-service", -3 * 24 * H, Rule("CertificateExpiringSoon", "warning", "service",
                                               "reviews-service", extra=_host("reviews"))),
    Noise("wishlist-service", -2 * 24 * H, Rule("CertificateExpiringSoon", "warning", "service",
                                                "wishlist", extra=_host("wishlist"))),
    Noise("seo-renderer", -30 * H, Rule("CertificateExpiringSoon", "warning", "service",
                                        "seo-renderer", extra=_host("render"))),
    Noise("feature-flags-service", -20 * H, Rule("CertificateExpiringSoon", "warning", "service",
                                                 "flags", extra=_host("flags"))),
    Noise("product-catalog-service", -9 * H, Rule("CertificateExpiringSoon", "warning", "service",
                                                  "products-api", extra=_host("images"))),
    Noise("analytics-loader", -47 * M, Rule("CPUThrottlingHigh", "warning", "kubernetes_deployment",
                                            "analytics-loader", 6), silenced=True),
    Noise("analytics-loader", -6 * H, Rule("KubeJobFailed", "warning", "job", "analytics-loader",
                                           extra=(("job_name", "analytics-loader-29551680"),))),
    Noise("warehouse-sync-worker", -4 * H, Rule(
        "NodeFilesystemSpaceFillingUp", "warning", "service", "warehouse-sync-worker",
        (("node", "ip-10-42-17-201.ec2.internal"), ("node", "ip-10-42-19-88.ec2.internal")))),
    Noise("recommendations-service", -3 * H, Rule("KubeHpaMaxedOut", "warning",
                                                  "kubernetes_deployment", "recommendations-service")),
    Noise("recommendations-service", -2 * H, Rule("ContainerMemoryHigh", "warning", "app", "recs", 3)),
    Noise("tax-service", -5 * H, Rule("ErrorBudgetBurnSlow", "warning", "service", "tax-service")),
    Noise("taxrate-api", -95 * M, Rule("ThirdPartyLatencyHigh", "warning", "service", "taxrate")),
    Noise("pricing-service", -70 * M, Rule("CacheHitRatioLow", "warning", "service", "pricing", 2)),
    Noise("seo-renderer", -55 * M, Rule("KubePodNotReady", "warning", "kubernetes_deployment",
                                        "seo-renderer", 2)),
    Noise("feature-flags-service", -7 * H, Rule("ContainerMemoryHigh", "warning", "service", "flags")),
    Noise("user-profile-service", -38 * M, Rule("JVMGCPauseHigh", "warning", "service",
                                                "user-profile-service", 1)),
    Noise("wishlist-service", -26 * M, Rule("HighRequestLatency", "warning", "service", "wishlist")),
)

_PROBE = Rule("BlackboxProbeFailed", "critical", "service", "seo-renderer",
              extra=(("instance", "https://www.larkspur.example/sitemap.xml"),))
_REVIEWS = Rule("HighRequestLatency", "warning", "kubernetes_deployment", "reviews-service",
                extra=(("pod", "reviews-service-7d9f8b6c5-k2x7q"),))
_WMS = Rule("WMSSyncStale", "warning", "job", "warehouse-sync-worker")

FLAPPERS: tuple[Flapper, ...] = (
    Flapper("seo-renderer", _PROBE, ((-46 * M, -43 * M), (-31 * M, -29 * M), (-21 * M, -18 * M),
                                     (-11 * M, -8 * M), (-2 * M, None))),
    Flapper("reviews-service", _REVIEWS, ((-47 * M, -42 * M), (-32 * M, -28 * M), (-12 * M, -9 * M),
                                          (-2 * M, None))),
    Flapper("warehouse-sync-worker", _WMS, ((-31 * M, -27 * M), (-22 * M, -19 * M), (-11 * M, -7 * M))),
)
