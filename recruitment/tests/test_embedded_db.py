import pytest

from recruitment import embedded_db


def test_database_url_uses_the_socket_directory_the_server_wrote(tmp_path):
    assert (
        embedded_db.database_url(tmp_path) == f"postgresql://postgres@/recruitment?host={tmp_path}"
    )
    (tmp_path / "postmaster.pid").write_text(
        "123\n/data\n1700000000\n5432\n/tmp/short-socket\n\n  1 2\nready\n"
    )
    assert embedded_db.database_url(tmp_path, "other") == (
        "postgresql://postgres@/other?host=/tmp/short-socket"
    )


def test_a_stale_pid_file_is_not_a_running_server(tmp_path):
    assert not embedded_db.is_running(tmp_path)
    (tmp_path / "postmaster.pid").write_text("999999999\n")
    assert not embedded_db.is_running(tmp_path)
    assert embedded_db.stop(tmp_path) is False


def test_the_running_development_server_is_seen(settings):
    if "host=" not in str(settings.DATABASE_URL) or "DATABASE_URL" in __import__("os").environ:
        pytest.skip("the suite runs against an external DATABASE_URL, not the embedded server")
    assert embedded_db.is_running()


@pytest.mark.django_db
def test_the_embedded_server_runs_with_its_shared_buffers(settings):
    if "host=" not in str(settings.DATABASE_URL) or "DATABASE_URL" in __import__("os").environ:
        pytest.skip("the suite runs against an external DATABASE_URL, not the embedded server")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_bytes(current_setting('shared_buffers')) = pg_size_bytes(%s)",
            [embedded_db.SHARED_BUFFERS],
        )
        assert cursor.fetchone() == (True,)
    assert embedded_db._tune(embedded_db.pgdata_dir()) is False  # nothing left to restart for


def test_a_bad_shared_buffers_size_is_refused_before_any_sql(tmp_path, monkeypatch):
    monkeypatch.setattr(embedded_db, "SHARED_BUFFERS", "1GB'; DROP DATABASE x; --")
    with pytest.raises(embedded_db.EmbeddedDatabaseError, match="is not a size"):
        embedded_db._tune(tmp_path)


def test_start_failure_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(embedded_db.EmbeddedDatabaseError, match="cannot start the embedded"):
        embedded_db.start(blocker / "postgres")


def test_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EMBEDDED_PGDATA", str(tmp_path / "pg"))
    assert embedded_db.main(["x", "status"]) == 3
    assert embedded_db.main(["x", "stop"]) == 0
    assert embedded_db.main(["x", "url"]) == 0
    assert embedded_db.main(["x", "explode"]) == 2
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("EMBEDDED_PGDATA", str(blocker / "pg"))
    assert embedded_db.main(["x", "start"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "error: cannot start the embedded PostgreSQL" in err
