"""Shared fixtures and hypothesis profiles (``ci`` is derandomised and loaded when CI is set)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import engine

ROOT = Path(__file__).resolve().parent.parent
GZ_POLICY = ROOT / "policies" / "gz-dept-2021.yaml"
GZ_FACTS = ROOT / "facts" / "gz-kjj-2021.yaml"

settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=150,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=500)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def gz_policy() -> engine.CompiledPolicy:
    return engine.load_policy(GZ_POLICY)


@pytest.fixture(scope="session")
def gz_facts(gz_policy: engine.CompiledPolicy) -> engine.Facts:
    return engine.read_facts(GZ_FACTS, gz_policy)
