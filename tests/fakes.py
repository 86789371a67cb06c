"""A fast fake backend for unit tests only: a StructuredLLM subclass told which field each call
serves, answering with the first allowed value or a scripted raw answer per field."""
from __future__ import annotations

import typing
from typing import Iterator, Sequence

from models.base import Generation, StructuredLLM


class FakeLLM(StructuredLLM):
    """Word tokenizer; deterministic answers; records every prompt it was given."""

    name = "fake-llm"

    def __init__(self, answers: dict[str, str] | None = None, draft: str = "Thanks for reaching out."):
        self.answers = answers or {}
        self.draft = draft
        self.prompts: list[str] = []
        self.prepared: list = []

    def render_chat(self, system: str, user: str, assistant_prefix: str = "") -> str:
        return f"<system>{system}</system><user>{user}</user>{assistant_prefix}"

    def tokenize(self, text: str, add_bos: bool = False) -> list[str]:
        return text.split()

    def detokenize(self, tokens) -> str:
        return " ".join(tokens)

    def prepare(self, output_type) -> None:
        self.prepared.append(output_type)

    def generate_structured(self, prompt: str, output_type, max_tokens: int, field: str = "") -> Generation:
        self.prompts.append(prompt)
        if field in self.answers:
            text = self.answers[field]
        elif hasattr(output_type, "pattern"):
            text = '"fake summary of the ticket"' if field == "summary" else '"fake_subcategory"'
        else:
            text = typing.get_args(output_type)[0]
        return Generation(text, len(prompt.split()), 3, 1, 0.001)

    def score_continuations(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        """Scripted answers win (log-prob 0); every other continuation is equally unlikely."""
        self.prompts.append(prompt)
        scripted = set(self.answers.values())
        return [0.0 if c.strip() in scripted else -5.0 for c in continuations]

    def stream_text(self, prompt: str, max_tokens: int, stop=None, temperature: float = 0.3,
                    repeat_penalty: float = 1.3, cached_prefix: str | None = None,
                    stats: dict | None = None) -> Iterator[str]:
        self.prompts.append(prompt)
        yield from (w + " " for w in self.draft.split()[:max_tokens])
