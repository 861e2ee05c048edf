"""Streamable HTTP, safe by default: authentication, Host/Origin allow-lists, body cap, rate limit.

    app.py            assembles the Starlette app the SDK builds, and refuses an unauthenticated
                      start off loopback
    auth.py           the two auth modes as SDK TokenVerifiers: static bearer token, OAuth 2.1
    introspection.py  RFC 7662 token introspection (the OAuth mode's verifier)
    hosts.py          Host/Origin allow-lists derived from the bind address
    ratelimit.py      per-client token buckets (429 with Retry-After)
"""
