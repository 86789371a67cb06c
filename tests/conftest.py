import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import models  # noqa: E402,F401  (offline env vars before anything hub-aware)


@pytest.fixture(scope="session")
def real_triager():
    """The real packaged GGUF model, loaded once for the whole test session."""
    from triage.config import get_settings
    from triage.pipeline import Triager

    return Triager(get_settings())


@pytest.fixture(scope="session")
def python_exe():
    return sys.executable


@pytest.fixture
def project_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env
