#!/usr/bin/env bash
# Second command of the README: everything that tests the project.
#   1. crm-funnel build on the bundled sample: dbt build (models, seeds, data
#      tests, unit tests) into a copy, then the Great Expectations release
#      gate (Data Docs in warehouse/test_sample_validation/), then the swap
#   2. every Great Expectations check listed, from the swapped-in warehouse
#      (2-4 run side by side)
#   3. sqlfluff lint of every model and singular test (the dbt templater
#      lints compiled SQL, so a macro is linted in every model that calls it;
#      a macro file alone compiles to nothing), ruff on the Python
#   4. the metadata judges with the project's settings: dbt-score (pyproject
#      .toml: at least 9.5, no model over 150 lines) and dbt-coverage (data
#      tests on at least 40% of columns)
#   5. the semantic layer's own check, `mf validate-configs`, semantic rules
#      and every dimension, measure and metric queried on the built warehouse
#   6. pytest (golden end-to-end builds on DuckDB, PostgreSQL and Spark, the
#      Spark part in a process of its own started first; every shell block
#      of the README and docs/*.md, as written,
#      bad-input errors, the hostile night, incremental and property tests
#      (nights on PostgreSQL too), grants, the semantic layer against the
#      marts, the HTML report in headless Chromium), two test files at a time
#      (CRM_TEST_WORKERS), each dbt build on a parse of the project made once
#      per session (tests/python/dbt_parsed.py); the slowest tests listed
set -euo pipefail
cd "$(dirname "$0")/.."
export DBT_SEND_ANONYMOUS_USAGE_STATS=false GX_ANALYTICS_ENABLED=false
if [ ! -x .venv/bin/crm-funnel ]; then
    echo "no .venv: run scripts/setup.sh first" >&2
    exit 1
fi
export CRM_RAW_DIR="$PWD/data/sample"
export CRM_WAREHOUSE="$PWD/warehouse/test_sample.duckdb"

# The engines the tests cover (docs/engines.md): all three unless
# CRM_TEST_ENGINES names fewer (the CI workflow's job per engine). Spark's
# part (its golden suite, the README's Spark steps and HubSpot's tables: about
# 10 minutes beside the rest, nearly all of it a Spark job per query; the
# golden and HubSpot builds share the test process's JVM) runs beside
# everything below, and is waited for at the end.
engines="${CRM_TEST_ENGINES:-duckdb postgres spark}"
spark_log="$(mktemp)"
spark=""
if [[ " $engines " == *" spark "* ]]; then
    .venv/bin/python -m pytest -p no:cacheprovider -k spark --durations=5 \
        tests/python/test_golden_funnel.py tests/python/test_documented_commands.py \
        tests/python/test_hubspot.py \
        > "$spark_log" 2>&1 &
    spark=$!
    # a failure below exits early: the Spark run goes with it
    trap 'kill "$spark" 2>/dev/null || true' EXIT
fi

# Chromium for the report's browser test and PostgreSQL for the engine tests:
# installed (if missing, one apt-get after the other) while the sample
# builds, their output printed before pytest
browser_log="$(mktemp)"
{ bash scripts/ensure_chromium.sh && bash scripts/ensure_postgres.sh; } > "$browser_log" 2>&1 &
browser=$!

echo "== dbt build + Great Expectations gate on the sample"
.venv/bin/crm-funnel build --full-refresh
echo "== MetricFlow: mf validate-configs"
status=0
# on a copy named as the build's warehouse: target/semantic_manifest.json names
# DuckDB's catalog after that file, and this copy is the semantic layer's alone
mkdir -p target/metricflow
cp "$CRM_WAREHOUSE" target/metricflow/test_sample.duckdb
CRM_WAREHOUSE="$PWD/target/metricflow/test_sample.duckdb" DBT_PROFILES_DIR="$PWD" \
    .venv/bin/mf validate-configs > target/metricflow/validate.log 2>&1 || status=$?
# the spinner frames MetricFlow draws, removed; then its verdicts
sed -E 's/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏][^✔✖]*//g' target/metricflow/validate.log | grep -v '^\s*$'
[ "$status" -eq 0 ] || exit "$status"
# The checks below read the built warehouse and the code and are independent
# of each other: the two single-process ones run beside sqlfluff, and each
# prints its output in order when it is done.
checks="$PWD/target/checks"
rm -rf "$checks" && mkdir -p "$checks"
judges() {
    local judges="$PWD/target/judges"
    rm -rf "$judges" && mkdir -p "$judges"
    cp "$CRM_WAREHOUSE" "$judges/judges.duckdb"
    CRM_WAREHOUSE="$judges/judges.duckdb" .venv/bin/dbt docs generate --profiles-dir . \
        --target-path "$judges" --log-path "$judges/logs" -q
    .venv/bin/dbt-score lint --manifest "$judges/manifest.json" --show failing-items
    (cd "$judges" && "$OLDPWD/.venv/bin/dbt-coverage" compute test --run-artifacts-dir . \
        --cov-report coverage.json --cov-fail-under 0.4 | tail -n 2)
}
.venv/bin/crm-funnel validate --verbose > "$checks/validate.log" 2>&1 &
validate=$!
judges > "$checks/judges.log" 2>&1 &
judged=$!
echo "== sqlfluff"
# the dbt templater may open the warehouse: a copy of its own, as the judges have
cp "$CRM_WAREHOUSE" "$checks/lint.duckdb"
CRM_WAREHOUSE="$checks/lint.duckdb" .venv/bin/sqlfluff lint --processes 2 models tests/singular
echo "== ruff"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
echo "== Great Expectations, every check"
status=0
wait "$validate" || status=$?
cat "$checks/validate.log"
[ "$status" -eq 0 ] || exit "$status"
echo "== dbt-score and dbt-coverage"
wait "$judged" || status=$?
cat "$checks/judges.log"
[ "$status" -eq 0 ] || exit "$status"
echo "== Chromium and PostgreSQL"
wait "$browser" || status=$?
cat "$browser_log"
[ "$status" -eq 0 ] || exit "$status"
echo "== pytest"
select="not spark"
[[ " $engines " == *" postgres "* ]] || select="$select and not postgres"
.venv/bin/python -m pytest -n "${CRM_TEST_WORKERS:-2}" --dist loadfile --durations=15 -k "$select"
if [ -n "$spark" ]; then
    echo "== pytest on Spark (started with the sample build)"
    wait "$spark" || status=$?
    cat "$spark_log"
    [ "$status" -eq 0 ] || exit "$status"
fi
