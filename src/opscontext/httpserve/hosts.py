"""Host and Origin allow-lists for the SDK's DNS-rebinding protection, derived from the bind address.

A browser page on another site can make requests to a server on the user's machine or LAN (DNS
rebinding). The SDK rejects a request whose Host or Origin header is not on its lists (421 / 403);
this module fills the lists so the protection is on for every bind address, not only loopback.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from mcp.server.transport_security import TransportSecuritySettings

from opscontext.settings_http import HttpSettings

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARDS = frozenset({"0.0.0.0", "::", "[::]"})


def authority(host: str, port: int) -> str:
    """``host:port`` as a Host header spells it (IPv6 literals in brackets)."""
    try:
        if ipaddress.ip_address(host.strip("[]")).version == 6:
            return f"[{host.strip('[]')}]:{port}"
    except ValueError:
        pass
    return f"{host}:{port}"


def default_hosts(host: str, port: int) -> list[str]:
    """``host:port`` forms a well-behaved client uses to reach a server bound to ``host``.

    A wildcard bind (0.0.0.0, ::) also answers on loopback, so loopback names are always allowed; the
    names other machines use for a wildcard bind cannot be guessed and must be configured.
    """
    hosts = [f"{name}:{port}" for name in LOOPBACK_NAMES]
    if host not in WILDCARDS and authority(host, port) not in hosts:
        hosts.append(authority(host, port))
    return hosts


def transport_security(host: str, port: int, http: HttpSettings) -> TransportSecuritySettings:
    """DNS-rebinding protection on, with the bind address's defaults plus the configured extras.

    Origins default to ``http://`` plus each default host (pages the server itself would serve). In
    OAuth mode the public resource URL's host and origin are allowed too: clients are told to use it.
    """
    defaults = default_hosts(host, port)
    hosts = defaults + list(http.allowed_hosts)
    origins = [f"http://{h}" for h in defaults] + list(http.allowed_origins)
    if http.oauth is not None:
        public = urlsplit(str(http.oauth.resource_url))
        hosts.append(public.netloc)
        origins.append(f"{public.scheme}://{public.netloc}")
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=list(dict.fromkeys(hosts)),
        allowed_origins=list(dict.fromkeys(origins)),
    )
