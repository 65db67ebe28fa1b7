"""Shared fixtures: settings, the stage objects (built once per session), the seed article."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.resources import Stages, build_stages
from pipeline.settings import PROJECT_ROOT, Settings

SEED = PROJECT_ROOT / "seeds" / "articles" / "000_dcfa103b67325e41.txt"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def stages(settings: Settings) -> Stages:
    return build_stages(settings)


@pytest.fixture(scope="session")
def seed_bytes() -> bytes:
    return SEED.read_bytes()


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED
