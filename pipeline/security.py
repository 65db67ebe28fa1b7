"""Kafka client security from the settings: TLS and SASL (PLAIN, SCRAM-SHA-256/512).

One place builds what aiokafka (CLI clients) and faust (the worker) need, so both speak
to a secured cluster the same way. Passwords stay wrapped in ``Secret`` until here.
"""

from __future__ import annotations

import ssl
from typing import Any

from pipeline.errors import FatalError
from pipeline.settings import Settings


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """A TLS context for SSL/SASL_SSL, from the CA file and the optional client pair."""
    if not settings.uses_tls():
        return None
    try:
        context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile or None)
        if settings.kafka_ssl_certfile:
            context.load_cert_chain(
                settings.kafka_ssl_certfile,
                settings.kafka_ssl_keyfile or None,
                settings.kafka_ssl_key_password.reveal() or None,
            )
    except (OSError, ssl.SSLError) as exc:
        raise FatalError(f"cannot set up TLS for Kafka: {exc}") from exc
    return context


def aiokafka_security(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for aiokafka clients (producer, consumer, admin)."""
    config: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    context = ssl_context(settings)
    if context is not None:
        config["ssl_context"] = context
    if settings.kafka_security_protocol.startswith("SASL"):
        config.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password.reveal(),
        )
    return config
