"""A dbt-duckdb plugin that hands the email salt to DuckDB without SQL text.

`dim_leads.email_hash` is `sha256(salt || normalized email)`. Were the salt a
dbt var or pasted into a model, it would be written in clear into
`target/manifest.json`, the compiled SQL and `logs/dbt.log` (and a quote in
it would break the SQL). Instead this plugin (listed in `profiles.yml`) binds
`CRM_EMAIL_SALT` as a parameter into the DuckDB variable `crm_email_salt` of
every connection dbt opens; models read it with `getvariable` through the
macro `email_salt()`. Nothing of it reaches a file dbt writes.

An empty salt is refused (an unsalted hash of an email is easy to reverse).
Unset, the salt is the documented sample default, and `crm_email_salt_is_default`
tells `register_raw_files()` to warn when the export is not the bundled sample.
"""

from __future__ import annotations

import os
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

SALT_VARIABLE = "CRM_EMAIL_SALT"
SAMPLE_SALT = "crm-funnel-sample-salt"


class EmptySaltError(ValueError):
    """CRM_EMAIL_SALT is set but empty."""


def email_salt() -> tuple[str, bool]:
    """The salt and whether it is the sample default; refuses an empty one."""
    if SALT_VARIABLE not in os.environ:
        return SAMPLE_SALT, True
    salt = os.environ[SALT_VARIABLE]
    if not salt:
        raise EmptySaltError(
            f"crm-funnel: {SALT_VARIABLE} is set but empty; an unsalted email hash is easy to"
            " reverse: set a secret salt, or unset it to use the sample default"
        )
    return salt, False


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.salt, self.is_default = email_salt()

    def _bind(self, connection: Any) -> None:
        connection.execute("set variable crm_email_salt = ?", [self.salt])
        connection.execute("set variable crm_email_salt_is_default = ?", [self.is_default])

    def configure_connection(self, conn: Any) -> None:
        self._bind(conn)

    def configure_cursor(self, cursor: Any) -> None:
        self._bind(cursor)
