"""The tests' throw-away PostgreSQL cluster: a fresh database per test, a restart that keeps the data."""

from __future__ import annotations

from pg_cluster import PgCluster


def test_each_test_gets_an_empty_database_it_can_write(pg_url: str) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        assert tables == (0,)
        conn.execute("CREATE TABLE t (x int)")
        conn.execute("INSERT INTO t VALUES (1)")
        assert conn.execute("SELECT sum(x) FROM t").fetchone() == (1,)


def test_a_second_test_does_not_see_the_firsts_tables(pg_url: str) -> None:
    import psycopg

    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT to_regclass('public.t')").fetchone()
        assert row == (None,)


def test_restart_keeps_committed_rows_and_drops_connections(pg_cluster: PgCluster, pg_url: str) -> None:
    import psycopg

    conn = psycopg.connect(pg_url, autocommit=True)
    conn.execute("CREATE TABLE t (x int)")
    conn.execute("INSERT INTO t VALUES (42)")
    pg_cluster.restart()
    try:
        conn.execute("SELECT 1")
    except psycopg.OperationalError:
        pass
    else:
        raise AssertionError("a connection survived the restart")
    finally:
        conn.close()
    with psycopg.connect(pg_url) as fresh:
        assert fresh.execute("SELECT x FROM t").fetchone() == (42,)
