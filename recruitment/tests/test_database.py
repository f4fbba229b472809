import environ
import pytest

from recruitment.database import database_url


def test_database_url_round_trips_a_unix_socket_server(monkeypatch, settings):
    monkeypatch.setitem(
        settings.DATABASES,
        "default",
        {
            "NAME": "test_x",
            "USER": "postgres",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
            "OPTIONS": {"host": "/srv/pg sockets"},
        },
    )
    url = database_url()
    parsed = environ.Env.db_url_config(url)
    assert (parsed["NAME"], parsed["USER"], parsed["OPTIONS"]["host"]) == (
        "test_x",
        "postgres",
        "/srv/pg sockets",
    )
    assert environ.Env.db_url_config(database_url("other"))["NAME"] == "other"


@pytest.mark.parametrize("password", ["s3cret", "p@ss:w/rd"])
def test_database_url_round_trips_a_tcp_server_with_a_password(monkeypatch, settings, password):
    monkeypatch.setitem(
        settings.DATABASES,
        "default",
        {
            "NAME": "recruitment",
            "USER": "app",
            "PASSWORD": password,
            "HOST": "db.internal",
            "PORT": 5433,
            "OPTIONS": {},
        },
    )
    parsed = environ.Env.db_url_config(database_url())
    assert (parsed["USER"], parsed["PASSWORD"], parsed["HOST"], parsed["PORT"]) == (
        "app",
        password,
        "db.internal",
        5433,
    )
