"""The backend seam: what the pipeline needs from a language model, whatever runs it.

A backend renders its chat template, tokenizes, generates a value constrained to an output type
(Outlines: a Literal of JSON values or a Regex), scores a fixed set of label continuations, and
streams free text. ``LlamaCppLLM`` (models/llamacpp.py) is the real one; tests subclass this for
a fast fake. Backends are built by name through models/registry.py."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Iterator, Sequence


@dataclass
class Generation:
    text: str
    prompt_tokens: int
    prompt_tokens_evaluated: int  # after prefix reuse
    generated_tokens: int
    seconds: float


class StructuredLLM(ABC):
    """A local language model with structured (constrained) and free generation."""

    name: str = "llm"

    @property
    def has_chat_template(self) -> bool:
        return False

    @abstractmethod
    def render_chat(self, system: str, user: str, assistant_prefix: str = "") -> str:
        """The prompt string for one system + user turn, ending where the assistant writes."""

    @abstractmethod
    def tokenize(self, text: str, add_bos: bool = False) -> list:
        ...

    @abstractmethod
    def detokenize(self, tokens) -> str:
        ...

    def prepare(self, output_type) -> None:
        """Build (and cache) whatever constrained generation of `output_type` needs, ahead of the
        first ticket (Outlines indexes: ~7 s for Gemma's vocabulary). Default: nothing."""

    @abstractmethod
    def generate_structured(self, prompt: str, output_type, max_tokens: int, field: str = "") -> Generation:
        """A value for `field` that matches `output_type`, continuing `prompt` (greedy)."""

    @abstractmethod
    def score_continuations(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        """The log-probability of each continuation after `prompt` (sum over its tokens)."""

    @abstractmethod
    def stream_text(self, prompt: str, max_tokens: int, stop: list[str] | None = None,
                    temperature: float = 0.3, repeat_penalty: float = 1.3,
                    cached_prefix: str | None = None, stats: dict | None = None) -> Iterator[str]:
        """Free text continuing `prompt`, piece by piece (reply drafts); `stats`, when given, is
        filled with the time breakdown (see LlamaCppLLM.stream_text)."""

    def on_worker(self, fn, *args, **kwargs):
        """Run fn where the backend runs its own calls (default: here)."""
        return fn(*args, **kwargs)
