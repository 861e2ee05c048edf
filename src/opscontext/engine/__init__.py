"""Pure domain logic: the service graph, blast radius, alert correlation, name resolution and
runbook ranking. No MCP, no I/O: everything here is tested and benchmarked directly."""
