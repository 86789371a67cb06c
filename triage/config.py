"""The one place for configuration: defaults here, overridden by TRIAGE_* env vars,
then by CLI flags (callers pass overrides to ``get_settings``)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIAGE_", extra="ignore")

    model: str = Field(
        "smollm2",
        description="GGUF file path, or a packaged model name: 'smollm2' (default) or 'gemma3-270m'.",
    )
    n_threads: int = Field(0, description="llama.cpp threads; 0 = number of physical cores.")
    n_ctx: int = Field(2048, description="llama.cpp context window (prompt + output).")
    max_ticket_tokens: int = Field(
        384, description="Ticket text is truncated to this many model tokens before prompting."
    )
    max_output_tokens: int = Field(160, description="Upper bound on generated tokens per classification.")
    seed: int = 0
    reuse_prefix_cache: bool = Field(True, description="Reuse llama.cpp's KV cache for the shared prompt prefix.")
    data_dir: Path = Field(PROJECT_ROOT / "data", description="Where built artefacts (KB) live.")
    mode: str = Field("hybrid", description="llm | evidence | hybrid (see README: chosen by evaluation).")
    knn_k: int = Field(10, description="Neighbours in the kNN vote.")
    retrieval_k: int = Field(3, description="Similar resolved tickets shown / used for drafts.")
    ann_min_rows: int = Field(10_000, description="Build LanceDB's ANN index once the KB has this many rows.")
    embed_threads: int = Field(1, description="Torch threads for per-ticket embedding (1 avoids contention with LanceDB).")
    draft_adapt_min_similarity: float = Field(
        0.6, description="Reuse a same-language resolution as the draft body at this similarity; above 1 = always generate.")
    draft_max_tokens: int = Field(120, description="Longest generated draft, in model tokens (~90 English words).")
    routing_file: Optional[Path] = Field(None, description="Routing TOML (default: triage/routing.toml).")
    host: str = "127.0.0.1"
    port: int = 7860

    @property
    def kb_path(self) -> Path:
        return Path(self.data_dir) / "kb"


@lru_cache(maxsize=None)
def _cached_default() -> Settings:
    return Settings()


def get_settings(**overrides) -> Settings:
    """Settings from env vars, with non-None keyword overrides (CLI flags) on top."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if not overrides:
        return _cached_default()
    return Settings(**overrides)
