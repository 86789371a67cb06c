"""The one place for configuration: defaults here, overridden by TRIAGE_* env vars,
then by CLI flags (callers pass overrides to ``get_settings``)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TUNING_FILE = Path(__file__).resolve().parent / "tuning.json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIAGE_", env_file=".env", extra="ignore")  # .env: the config file

    model: str = Field(
        "auto",
        description="A GGUF file path, or a registered model: 'auto' (the trained model when `make train` "
                    "has built one, else 'smollm2'), 'trained', 'smollm2' or 'gemma3-270m'.",
    )
    encoder: str = Field(
        "auto", description="The fine-tuned MiniLM evidence head: 'auto' (the one `make train` built, if any), "
                            "'none', or a folder written by `scripts.train --parts encoder`.")
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
    draft_strategy: Literal["composed", "generate"] = Field(
        "composed", description="composed: reply planned from the decided fields and the nearest resolution; "
                                "generate: the GGUF model writes it, and a draft failing the checks is replaced by the composed one.")
    draft_steps_min_similarity: float = Field(
        0.75, description="A same-language resolved ticket this similar lends its customer-facing steps to the draft "
                          "(at 0.6 the borrowed steps described other products on real tickets; see README).")
    draft_max_tokens: int = Field(120, description="Longest generated draft, in model tokens (~90 English words).")
    pii_types: Optional[list[str]] = Field(
        None, description="PII types to mask (JSON list, e.g. [\"EMAIL\",\"PHONE\"]); default: all of triage.pii.PII_TYPES.")
    pii_custom_patterns: dict[str, str] = Field(
        default_factory=dict, description="Extra patterns to mask, TYPE -> regex (JSON object), e.g. "
                                          "{\"CUSTOMER_ID\": \"\\\\bCUS-\\\\d{6}\\\\b\"}; validated at start-up.")
    routing_file: Optional[Path] = Field(None, description="Routing TOML (default: triage/routing.toml).")
    tuning_file: Path = Field(TUNING_FILE, description="Numbers chosen on the dev splits (scripts.tune_decide).")
    host: str = "127.0.0.1"
    port: int = 7860
    webhook_secret: Optional[str] = Field(
        None, description="Shared secret for helpdesk webhooks and POST /api/tickets; webhooks are off until it is set.")
    queue_size: int = Field(1000, ge=1, description="Tickets waiting for the triage worker before accepting pauses.")
    zendesk_url: Optional[str] = Field(None, description="https://<subdomain>.zendesk.com: write triage back to Zendesk.")
    freshdesk_url: Optional[str] = Field(None, description="https://<domain>.freshdesk.com: write triage back to Freshdesk.")
    helpdesk_token: Optional[str] = Field(None, description="API token for the write-back (Zendesk OAuth bearer / Freshdesk API key).")

    @property
    def kb_path(self) -> Path:
        return Path(self.data_dir) / "kb"

    @property
    def store_path(self) -> Path:
        """The store of triaged tickets (SQLite), next to the KB."""
        return Path(self.data_dir) / "tickets.db"


@lru_cache(maxsize=None)
def _cached_default() -> Settings:
    return Settings()


def get_settings(**overrides) -> Settings:
    """Settings from env vars, with non-None keyword overrides (CLI flags) on top."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if not overrides:
        return _cached_default()
    return Settings(**overrides)


class Tuning(BaseModel):
    """The numbers chosen on the dev splits (curated dev, real-register dev, real-dev) by
    `python -m scripts.tune_decide`, which writes triage/tuning.json; validated on load."""

    model_config = ConfigDict(extra="forbid")

    vote_weights: dict[str, float] = Field(
        default_factory=lambda: {"category": 0.0, "urgency": 0.0, "sentiment": 0.0, "escalation": 0.0},
        description="Weight of the tuned model's vote per field (log-linear pooling with the evidence).")
    p1_rules: list[str] = Field(default_factory=lambda: ["outage", "data_loss", "security", "organisation_blocked"],
                                description="P1 phrase rules that decide urgency when they fire.")
    feature_request_rule: bool = Field(True, description="A confident pure feature request is P4.")
    escalation_rules: Optional[list[str]] = Field(None, description="Escalation signals that decide escalation "
                                                  "when they fire (null = all); the others are only shown.")
    escalation_threshold: float = Field(0.7, ge=0, le=1, description="P(escalation) at which the heads flag it.")
    secondary_min_prob: float = Field(0.30, ge=0, le=1)
    confidence_high: tuple[float, float] = (0.60, 0.30)  # (top probability, margin to the runner-up)
    confidence_low: tuple[float, float] = (0.40, 0.10)
    vague_max_words: int = 3
    chosen_by: str = ""  # what wrote the file, on which data


class EvidenceTuning(BaseModel):
    """How the evidence heads are mixed (`python -m scripts.tune_evidence`, curated dev split)."""

    model_config = ConfigDict(extra="forbid")

    head_weights: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {
            "category": {"lr": 1.0, "knn": 0.5, "zero_shot": 0.5, "lr_domain": 0.5, "lexical": 1.0},
            "urgency": {"lr": 0.5, "lexical": 1.0},
            "sentiment": {"lr": 0.5, "lexical": 1.0},
            "escalation": {"lr": 0.5, "lexical": 1.0},
        },
        description="Weight per field and head (lr, knn, lexical; category also zero_shot, lr_domain).")
    knn_temperature: float = Field(0.05, gt=0, description="kNN vote weight exp((similarity - 1) / T).")
    chosen_by: str = ""

    @model_validator(mode="after")
    def _every_field_weighted(self):
        missing = {"category", "urgency", "sentiment", "escalation"} - set(self.head_weights)
        if missing:
            raise ValueError(f"head_weights has no entry for {', '.join(sorted(missing))}")
        return self


class TuningFile(BaseModel):
    """The evidence mix, and two sets of decision numbers: for the evidence alone (no trained
    model, or evidence mode) and for the evidence with the trained model's vote (hybrid mode once
    `make train` has run)."""

    model_config = ConfigDict(extra="forbid")

    evidence: EvidenceTuning = Field(default_factory=EvidenceTuning)
    evidence_only: Tuning = Field(default_factory=Tuning)
    with_model: Tuning = Field(default_factory=Tuning)


def load_tuning_file(path: Path | None = None) -> TuningFile:
    """The whole validated tuning file (defaults when it does not exist)."""
    path = Path(path or TUNING_FILE)
    if not path.exists():
        return TuningFile()
    try:
        return TuningFile.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"Invalid tuning file {path}: {exc}") from exc


def load_tuning(path: Path | None = None, with_model: bool = False) -> Tuning:
    tuning = load_tuning_file(path)
    return tuning.with_model if with_model else tuning.evidence_only


@lru_cache(maxsize=None)
def default_tuning() -> Tuning:
    return load_tuning(get_settings().tuning_file)
