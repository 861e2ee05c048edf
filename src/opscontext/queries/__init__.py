"""One module per tool: validate arguments, ask the hub and the engine, shape the answer.

Each function takes the :class:`~opscontext.app.App` plus plain arguments and returns an answer
model; it raises ``InputError`` for bad arguments and ``NoSourceError`` when no source could
answer at all. Front ends (MCP, CLI) only translate those two into their own error forms.
"""

from opscontext.errors import OpsContextError


class NoSourceError(OpsContextError):
    """Nothing configured could answer; the message lists each source's failure."""
