import os
import sys
from pathlib import Path

import pytest

import models  # noqa: F401  (the package forces offline mode before anything hub-aware)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def real_triager():
    """The real packaged GGUF model, loaded once for the whole test session."""
    from triage.config import get_settings
    from triage.wiring import build_triager

    return build_triager(get_settings())


@pytest.fixture(scope="session")
def project_kb():
    """The project's real LanceDB knowledge base (built first if missing)."""
    from scripts.build_kb import build_if_needed
    from triage.config import get_settings
    from triage.wiring import open_kb

    settings = get_settings()
    build_if_needed(settings.kb_path, quiet=True)  # as `make kb`
    return open_kb(settings, threads=1)


@pytest.fixture
def make_triager(project_kb, tmp_path):
    """Builds a Triager over a temporary copy of the real KB (writes never touch the project's),
    like datasette's make_app_client: `triager = make_triager(mode="evidence", llm=FakeLLM())`."""
    import shutil

    from triage.config import get_settings
    from triage.wiring import build_triager, open_kb

    def make(mode: str = "evidence", llm=None, **settings_overrides):
        path = tmp_path / "kb"
        if not path.exists():
            shutil.copytree(project_kb.path, path)
        kb = open_kb(get_settings(), path=path, threads=1, check=False)
        kb.embedder = project_kb.embedder  # share the loaded encoders
        return build_triager(get_settings(**settings_overrides), mode=mode, kb=kb, llm=llm)

    return make


@pytest.fixture(scope="session")
def python_exe():
    return sys.executable


@pytest.fixture
def project_env():
    """The environment for a subprocess of the project (installed editable in .venv: no PYTHONPATH)."""
    return dict(os.environ)
