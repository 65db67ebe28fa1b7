"""Kafka security settings reach the clients; secrets never show in reprs or logs."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

import pytest
import structlog

from pipeline.errors import FatalError
from pipeline.resources import Stages
from pipeline.security import aiokafka_security
from pipeline.settings import Secret, Settings

ENV = {
    "NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "NEWSFLOW_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "NEWSFLOW_KAFKA_SASL_USERNAME": "newsflow",
    "NEWSFLOW_KAFKA_SASL_PASSWORD": "s3cret-Pa55",
}


def test_sasl_over_tls_settings_build_the_aiokafka_configuration() -> None:
    settings = Settings.from_env(ENV)
    config = aiokafka_security(settings)
    assert config["security_protocol"] == "SASL_SSL"
    assert config["sasl_mechanism"] == "SCRAM-SHA-512"
    assert config["sasl_plain_username"] == "newsflow"
    assert config["sasl_plain_password"] == "s3cret-Pa55"
    assert isinstance(config["ssl_context"], ssl.SSLContext)


def test_plaintext_has_no_tls_and_no_sasl() -> None:
    assert aiokafka_security(Settings()) == {"security_protocol": "PLAINTEXT"}


def test_a_missing_ca_file_stops_start_up(tmp_path: Path) -> None:
    settings = Settings.from_env({**ENV, "NEWSFLOW_KAFKA_SSL_CAFILE": str(tmp_path / "no.pem")})
    with pytest.raises(FatalError, match="TLS"):
        aiokafka_security(settings)


@pytest.mark.parametrize(
    "env",
    [
        {"NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_TLS"},
        {**ENV, "NEWSFLOW_KAFKA_SASL_MECHANISM": "GSSAPI"},
        {**ENV, "NEWSFLOW_KAFKA_SASL_USERNAME": ""},
    ],
)
def test_unusable_security_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(FatalError):
        Settings.from_env(env)


def test_secrets_do_not_show_in_repr_str_or_logs(capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings.from_env(ENV)
    assert "s3cret" not in repr(settings)
    assert "s3cret" not in str(settings.kafka_sasl_password)
    assert settings.kafka_sasl_password == Secret("s3cret-Pa55")
    from pipeline import logs

    logs.configure("INFO", "json")
    logs.get("test").info(
        "settings loaded", settings=settings, password=settings.kafka_sasl_password
    )
    logging.getLogger("test").warning("settings %r", settings)
    captured = capsys.readouterr()
    assert "settings loaded" in captured.err
    assert "s3cret" not in captured.err + captured.out
    structlog.reset_defaults()


def test_the_worker_producer_is_idempotent_with_acks_all(stages: Stages) -> None:
    from pipeline.resources import LiveWatchlist
    from pipeline.worker.app import create_app
    from pipeline.worker.tasks import CaughtUp
    from pipeline.worker.transport import faust_credentials

    def fail(reason: BaseException) -> None:
        raise AssertionError(reason)

    app = create_app(
        Settings(), stages, on_failure=fail, live=LiveWatchlist(stages), caught=CaughtUp()
    )
    producer = app.producer
    assert producer._settings_extra() == {"acks": "all", "enable_idempotence": True}
    assert faust_credentials(Settings()) is None
    creds = faust_credentials(Settings.from_env(ENV))
    assert creds.username == "newsflow"
    assert "s3cret" not in repr(creds)


def test_metrics_bind_to_loopback_by_default() -> None:
    assert Settings().metrics_host == "127.0.0.1"
