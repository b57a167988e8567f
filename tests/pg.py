"""Start a throwaway PostgreSQL cluster for the test run.

The server binaries (initdb, pg_ctl) are on the machine; initdb refuses to run as root, so
as root the cluster belongs to the `postgres` user. It listens on a Unix socket inside its own
temporary directory only (no TCP), and is removed at the end.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise RuntimeError(f"PostgreSQL server binary {name!r} not found; install postgresql")


def _as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextlib.contextmanager
def postgres_cluster():
    if url := os.environ.get("INTERMART_TEST_DATABASE_URL"):
        yield url  # an existing server the caller provides
        return
    base = Path(tempfile.mkdtemp(prefix="intermart-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    run = lambda cmd: subprocess.run(_as_owner(cmd), check=True,  # noqa: E731
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        run([_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--no-sync", "--locale=C"])
        run([_pg_bin("pg_ctl"), "-D", str(data), "-w", "-l", str(base / "server.log"),
             "-o", f"-k {sock} -c listen_addresses='' -F -c max_connections=50", "start"])
        yield f"postgresql+psycopg://postgres@/postgres?host={sock}"
    finally:
        with contextlib.suppress(Exception):
            run([_pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(base, ignore_errors=True)
