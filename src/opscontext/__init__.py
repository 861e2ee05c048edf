"""opscontext: connected operational context for AI assistants during incidents."""

__version__ = "0.1.0"
