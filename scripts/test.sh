#!/usr/bin/env bash
# Second command of the README: everything that tests the project.
#   1. dbt build on the bundled sample (models, seeds, data tests, unit tests)
#   2. Great Expectations suites against that warehouse
#   3. sqlfluff lint of every model, ruff on the Python
#   4. pytest (golden end-to-end builds, bad-input errors, reproducibility)
set -euo pipefail
cd "$(dirname "$0")/.."
export DBT_SEND_ANONYMOUS_USAGE_STATS=false GX_ANALYTICS_ENABLED=false
if [ ! -x .venv/bin/crm-funnel ]; then
    echo "no .venv: run scripts/setup.sh first" >&2
    exit 1
fi
export CRM_RAW_DIR="$PWD/data/sample"
export CRM_WAREHOUSE="$PWD/warehouse/test_sample.duckdb"

echo "== dbt build (models + data tests + unit tests) on the sample"
.venv/bin/crm-funnel build
echo "== Great Expectations"
.venv/bin/crm-funnel validate
echo "== sqlfluff"
.venv/bin/sqlfluff lint models tests/singular macros
echo "== ruff"
.venv/bin/ruff check src tests
.venv/bin/ruff format --check src tests
echo "== pytest"
.venv/bin/python -m pytest
