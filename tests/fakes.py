"""Fast fakes with the same interface as models.llm.LocalLLM (for unit tests only)."""
from __future__ import annotations

import json
import typing

from models.llm import Generation


class FakeLLM:
    """Word tokenizer; answers each constrained field with its first allowed value,
    or with a scripted raw answer per field name."""

    name = "fake-llm"

    def __init__(self, answers: dict[str, str] | None = None):
        self.answers = answers or {}
        self.prompts: list[str] = []
        self.generators_built: list = []

    def render_chat(self, system: str, user: str, assistant_prefix: str = "") -> str:
        return f"<system>{system}</system><user>{user}</user>{assistant_prefix}"

    def tokenize(self, text: str, add_bos: bool = False) -> list[str]:
        return text.split()

    def detokenize(self, tokens) -> str:
        return " ".join(tokens)

    def structured_generator(self, output_type):
        self.generators_built.append(output_type)
        return output_type

    def generate_structured(self, prompt: str, output_type, max_tokens: int) -> Generation:
        self.prompts.append(prompt)
        field = json.loads(prompt.rsplit(",", 1)[-1].rsplit("{", 1)[-1][:-1] or '""') if prompt.endswith(":") else ""
        if field in self.answers:
            text = self.answers[field]
        elif hasattr(output_type, "pattern"):
            text = '"fake summary of the ticket"' if field == "summary" else '"fake_subcategory"'
        else:
            text = typing.get_args(output_type)[0]
        return Generation(text, len(prompt.split()), 3, 1, 0.001)
