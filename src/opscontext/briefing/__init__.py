"""The incident briefing: one bounded answer stitched from the other tools' answers.

``opscontext.queries.incident_context`` orchestrates (which group, which service, what to fetch
at once); the modules here are plain Python over answers and domain models, free of MCP and I/O:
the answer's shape (``models``), suspect-change ranking (``suspects``), escalation in time
(``escalation``), the user-impact section with its one plug for SLO burn (``impact``), the
headline and next steps (``compose``) and the token budget (``budget``).
"""
