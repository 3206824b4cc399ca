#!/usr/bin/env bash
# The PostgreSQL tests start a throwaway server of their own
# (src/crm_funnel/postgres_server.py), from Debian's postgresql package.
# Installs it when missing and this runs as root on Debian (as CI does);
# otherwise says what to install.
set -euo pipefail
found=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$found" ]; then
    "$found" --version
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "crm-funnel: the PostgreSQL tests need a PostgreSQL server; install Debian's postgresql" \
        "package (sudo apt-get install postgresql)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q postgresql; then
    # a fresh machine may have no package lists yet
    apt-get update -q
    apt-get install -y -q postgresql
fi
# the package starts a cluster of its own; the tests need none
if command -v pg_ctlcluster >/dev/null 2>&1; then
    for cluster in /etc/postgresql/*/main; do
        [ -d "$cluster" ] || continue
        version=$(basename "$(dirname "$cluster")")
        pg_ctlcluster "$version" main stop 2>/dev/null || true
    done
fi
ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1 | xargs -I{} {} --version
