#!/usr/bin/env bash
# First command of the README: create .venv with the pinned dependencies,
# install the crm-funnel CLI, and build the whole project on the bundled sample
# (or on CRM_RAW_DIR), printing where the warehouse is and headline numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
export DBT_SEND_ANONYMOUS_USAGE_STATS=false GX_ANALYTICS_ENABLED=false

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt
.venv/bin/python -m pip install --quiet --no-deps -e .
# a full refresh: the sample (or the models) may have changed since the last setup
.venv/bin/crm-funnel build --full-refresh
