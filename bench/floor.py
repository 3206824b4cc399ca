"""The floor: bench/floor.sql (one hand-written DuckDB query) on a raw export.

usage: python bench/floor.py RAW_DIR csv|parquet OUT.parquet
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def reader(raw: Path, name: str, fmt: str) -> str:
    if fmt == "parquet":
        return f"read_parquet('{raw / name}.parquet')"
    return f"read_csv('{raw / name}.csv', header = true, all_varchar = true)"


def main(raw: Path, fmt: str, out: Path) -> None:
    sql = (Path(__file__).with_name("floor.sql")).read_text(encoding="utf-8")
    sql = sql.replace("{events}", reader(raw, "lead_status_history", fmt))
    sql = sql.replace("{activities}", reader(raw, "activities", fmt))
    sql = sql.replace("{seeds}", str(SEEDS)).replace("{out}", str(out))
    with duckdb.connect() as connection:
        connection.execute("set timezone = 'UTC'")
        connection.execute(sql)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
