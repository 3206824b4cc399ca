"""A throwaway PostgreSQL server on loopback, for tests and trying the project.

    python -m crm_funnel.postgres_server start FOLDER   # prints `export ...` lines
    python -m crm_funnel.postgres_server stop FOLDER

`start` runs Debian's `initdb` into FOLDER/data (a new cluster, a password of
its own, made up at random), starts `postgres` on 127.0.0.1 at a free port,
creates the database `crm_funnel` and the BI role the marts are granted to
(CRM_BI_READER, default bi_reader; a login with a random password, so a BI
tool can try it). It prints the CRM_PG_* variables the profile's `postgres`
target reads (profiles.yml) and CRM_BI_PASSWORD, so nothing secret is ever
written in the repository. `stop` stops the server; removing FOLDER removes the
cluster. As root (CI), the server runs as the `postgres` user, because
PostgreSQL refuses to run as root (docs/engines.md).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

DATABASE = "crm_funnel"
SUPERUSER = "crm_admin"


def server_binaries() -> Path:
    """The folder of Debian's PostgreSQL server programs (initdb, pg_ctl)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    if shutil.which("initdb"):
        return Path(shutil.which("initdb")).parent
    raise RuntimeError(
        "crm-funnel: no PostgreSQL server found (initdb); install Debian's `postgresql`"
        " package (scripts/ensure_postgres.sh does, as root)"
    )


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(folder: Path) -> dict[str, str]:
    """Start a new cluster in `folder`; returns the profile's CRM_PG_* variables and
    CRM_BI_PASSWORD, the BI role's."""
    folder = Path(folder).resolve()
    data = folder / "data"
    folder.mkdir(parents=True, exist_ok=True)
    binaries = server_binaries()
    password = secrets.token_urlsafe(18)
    password_file = folder / "pwfile"
    password_file.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(password_file, "postgres")
    port = _free_port()
    quiet = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
    initdb = [str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER]
    initdb += ["--pwfile", str(password_file), "--auth=scram-sha-256", "-E", "UTF8"]
    initdb += ["--locale=C", "--no-sync"]
    done = subprocess.run(_as_server_user(initdb), check=False, **quiet)
    password_file.unlink()
    if done.returncode != 0:
        raise RuntimeError(f"crm-funnel: initdb failed: {done.stdout.strip()[-500:]}")
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={data}"
    options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    pg_ctl = [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log")]
    done = subprocess.run(
        _as_server_user([*pg_ctl, "-o", options, "-w", "start"]), check=False, **quiet
    )
    if done.returncode != 0:
        log = (data / "server.log").read_text() if (data / "server.log").exists() else ""
        raise RuntimeError(f"crm-funnel: PostgreSQL did not start: {log.strip()[-500:]}")
    env = {
        "CRM_PG_HOST": "127.0.0.1",
        "CRM_PG_PORT": str(port),
        "CRM_PG_USER": SUPERUSER,
        "CRM_PG_PASSWORD": password,
        "CRM_PG_DATABASE": DATABASE,
    }
    bi_password = secrets.token_urlsafe(12)
    _wait_and_create_database(env, bi_role(), bi_password)
    return dict(env, CRM_BI_PASSWORD=bi_password)


def bi_role() -> str:
    """The role BI tools read the marts as (dbt_project.yml's grants)."""
    return os.environ.get("CRM_BI_READER") or "bi_reader"


def _wait_and_create_database(env: dict[str, str], role: str, role_password: str) -> None:
    import psycopg2

    deadline = time.monotonic() + 30
    while True:
        try:
            connection = connect(env, dbname="postgres")
            break
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"create database {DATABASE}")
        quoted = '"' + role.replace('"', '""') + '"'
        cursor.execute(f"create role {quoted} login password %s", (role_password,))
    connection.close()


def connect(env: dict[str, str], dbname: str | None = None, user: str | None = None, password=None):
    """A psycopg2 connection to the server `env` describes."""
    import psycopg2

    return psycopg2.connect(
        host=env["CRM_PG_HOST"],
        port=int(env["CRM_PG_PORT"]),
        user=user or env["CRM_PG_USER"],
        password=password if password is not None else env["CRM_PG_PASSWORD"],
        dbname=dbname or env["CRM_PG_DATABASE"],
    )


def stop(folder: Path) -> None:
    """Stop the server of `folder` (nothing if none runs)."""
    data = Path(folder).resolve() / "data"
    if not (data / "postmaster.pid").exists():
        return
    pg_ctl = [str(server_binaries() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
    subprocess.run(_as_server_user(pg_ctl), check=False, capture_output=True)


@contextmanager
def throwaway(folder: Path):
    """A server for the `with` block; stopped and removed afterwards."""
    try:
        yield start(folder)
    finally:
        stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("\n".join(__doc__.strip().splitlines()[2:4]), file=sys.stderr)
        return 2
    try:
        if argv[0] == "start":
            for name, value in start(Path(argv[1])).items():
                print(f"export {name}={value}")
        else:
            stop(Path(argv[1]))
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
