#!/usr/bin/env bash
# Installs the Debian `prometheus`, `prometheus-alertmanager` and `redis-server` packages so the
# integration tests can start their own servers on loopback. The packages' maintainer scripts would
# start system daemons on port 9090/9093/6379; a temporary policy-rc.d forbids that, and anything that
# still slipped through is stopped by pid afterwards. Safe to run again: a no-op when installed.
set -euo pipefail

need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ "${#need[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-servers.sh: must run as root to install ${need[*]}" >&2
    exit 1
fi

policy=/usr/sbin/policy-rc.d
policy_backup=""
if [ -e "$policy" ]; then
    policy_backup="$(mktemp)"
    cp -p "$policy" "$policy_backup"
fi
restore_policy() {
    if [ -n "$policy_backup" ]; then
        mv -f "$policy_backup" "$policy"
    else
        rm -f "$policy"
    fi
}
trap restore_policy EXIT
printf '#!/bin/sh\n# opscontext install-servers.sh: no daemons during install\nexit 101\n' >"$policy"
chmod 755 "$policy"

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-qq -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
log="$(mktemp)"
# Quiet on success; on failure the whole apt transcript explains what went wrong.
run_quietly() {
    if ! "$@" >>"$log" 2>&1; then
        cat "$log" >&2
        echo "install-servers.sh: failed: $*" >&2
        exit 1
    fi
}
# The package lists may be missing on a fresh machine; refresh only when needed.
if ! apt-cache show prometheus prometheus-alertmanager redis-server >/dev/null 2>&1; then
    run_quietly apt-get -qq update
fi
run_quietly apt-get install "${apt_opts[@]}" --no-install-recommends \
    prometheus prometheus-alertmanager redis-server
rm -f "$log"

# Belt and braces: stop any daemon the packages managed to start anyway, by its own pid.
for name in prometheus prometheus-alertmanager prometheus-node-exporter redis-server; do
    for pid in $(pgrep -x "$name" 2>/dev/null || true); do
        # Only the packaged system daemons (run as their own users), never test servers.
        owner="$(ps -o user= -p "$pid" 2>/dev/null | tr -d ' ')"
        if [ "$owner" = "prometheus" ] || [ "$owner" = "redis" ]; then
            kill "$pid" 2>/dev/null || true
        fi
    done
done

command -v prometheus >/dev/null && command -v promtool >/dev/null \
    && command -v prometheus-alertmanager >/dev/null && command -v redis-server >/dev/null
