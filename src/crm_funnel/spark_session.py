"""The local Spark session of the profile's `spark` target, outside dbt.

dbt-spark's session method starts Spark inside the dbt process with the
profile's server_side_parameters; this builds the same session (same catalog
folder, CRM_SPARK_WAREHOUSE) for loading raw tables and reading marts. The
catalog is an embedded Derby database, which one process opens at a time:
stop this session before dbt runs.
"""

from __future__ import annotations

import os
from pathlib import Path

# the local session's JVM, for short runs on small data: compile quickly
# (C1 only), collect simply, and code cache enough for a whole build (C1's
# default of 48 MB runs out: "Out of space in CodeCache"). CRM_SPARK_JAVA_OPTIONS
# replaces it; empty, the JVM's own defaults, for large data (docs/engines.md)
JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:ReservedCodeCacheSize=240m"


def settings(folder: Path | None = None) -> dict[str, str]:
    """The Spark settings of profiles.yml's `spark` target for `folder`."""
    folder = Path(folder or os.environ.get("CRM_SPARK_WAREHOUSE", "warehouse/spark")).resolve()
    return {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.warehouse.dir": str(folder / "tables"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={folder}/metastore_db;create=true"
        ),
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={folder} {os.environ.get('CRM_SPARK_JAVA_OPTIONS', JAVA_OPTIONS)}"
        ).strip(),
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": os.environ.get("CRM_SPARK_PARTITIONS", "4"),
    }


def session(folder: Path | None = None):
    """A local SparkSession on the catalog in `folder`."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[*]").enableHiveSupport()
    for key, value in settings(folder).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
