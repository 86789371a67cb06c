"""A fine-tuned sentence encoder with one linear head per field: the packaged all-MiniLM-L6-v2,
trained end to end on the labelled tickets by `make train` (SetFit-style, but with plain
cross-entropy heads), an evidence head beside the frozen-embedding ones.

Why: the frozen-embedding heads learn a linear map on an encoder that was never shown the
taxonomy; letting the encoder move too lifted category and sentiment on both dev sets
(README, "Results"). Saved as a transformers folder plus heads.pt and encoder.json."""
from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from models.compute import on_compute_thread

CARD = "encoder.json"
HEADS = "heads.pt"
MAX_TOKENS = 128


@dataclass
class EncoderTrainConfig:
    epochs: int = 3
    batch_size: int = 16
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    seed: int = 0
    threads: int = 2


class EncoderClassifier:
    """Mean-pooled encoder + a linear head per field; predict_proba runs on the compute thread."""

    def __init__(self, encoder, tokenizer, labels: dict[str, list], threads: int = 1):
        import torch
        from torch import nn

        self.encoder, self.tokenizer, self.labels = encoder, tokenizer, labels
        self.heads = nn.ModuleDict({f: nn.Linear(encoder.config.hidden_size, len(v)) for f, v in labels.items()})
        self.threads = threads
        self._torch = torch

    @classmethod
    def from_base(cls, base_dir: Path, labels: dict[str, list], threads: int = 2) -> "EncoderClassifier":
        from transformers import AutoModel, AutoTokenizer

        return cls(AutoModel.from_pretrained(str(base_dir)), AutoTokenizer.from_pretrained(str(base_dir)),
                   labels, threads)

    @classmethod
    def load(cls, directory: Path, threads: int = 1) -> "EncoderClassifier":
        from transformers import AutoModel, AutoTokenizer

        directory = Path(directory)
        card = json.loads((directory / CARD).read_text(encoding="utf-8"))
        model = cls(AutoModel.from_pretrained(str(directory)), AutoTokenizer.from_pretrained(str(directory)),
                    card["labels"], threads)
        model.heads.load_state_dict(model._torch.load(directory / HEADS, map_location="cpu"))
        model.encoder.eval()
        return model

    def save(self, directory: Path, card: dict) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(str(directory))
        self.tokenizer.save_pretrained(str(directory))
        self._torch.save(self.heads.state_dict(), directory / HEADS)
        (directory / CARD).write_text(json.dumps({**card, "labels": self.labels}, indent=2) + "\n", encoding="utf-8")

    def _embed(self, texts: list[str]):
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return (hidden * mask).sum(1) / mask.sum(1)

    def predict_proba(self, texts: list[str], batch_size: int = 32) -> list[dict]:
        """Per text: {field: {label: probability}}."""
        return on_compute_thread(self._predict, list(texts), batch_size)

    def _predict(self, texts: list[str], batch_size: int) -> list[dict]:
        torch = self._torch
        out: list[dict] = [{} for _ in texts]
        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                for start in range(0, len(texts), batch_size):
                    pooled = self._embed(texts[start:start + batch_size])
                    for name, head in self.heads.items():
                        probs = torch.softmax(head(pooled), dim=-1).tolist()
                        for i, row in enumerate(probs):
                            out[start + i][name] = dict(zip(self.labels[name], row))
        finally:
            torch.set_num_threads(previous)
        return out

    def fit(self, rows: list[dict], config: EncoderTrainConfig,
            on_epoch: Callable[[int, float], None] | None = None) -> dict:
        """rows: {"text", field: label or None}. Cross-entropy per labelled field, summed; a row
        may carry only some fields (the public sets carry the category alone)."""
        torch = self._torch
        torch.manual_seed(config.seed)
        rng = random.Random(config.seed)
        previous_threads = torch.get_num_threads()
        torch.set_num_threads(config.threads)
        params = list(self.encoder.parameters()) + list(self.heads.parameters())
        optimiser = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)
        loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)
        targets = [{f: (self.labels[f].index(r[f]) if r.get(f) in self.labels[f] else -100) for f in self.labels}
                   for r in rows]
        order, start, losses = list(range(len(rows))), time.perf_counter(), []
        self.encoder.train()
        for epoch in range(config.epochs):
            rng.shuffle(order)
            total = 0.0
            for b in range(0, len(order), config.batch_size):
                idx = order[b:b + config.batch_size]
                pooled = self._embed([rows[i]["text"] for i in idx])
                loss = sum(loss_fn(head(pooled), torch.tensor([targets[i][f] for i in idx]))
                           for f, head in self.heads.items()
                           if any(targets[i][f] != -100 for i in idx))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += loss.item()
            losses.append(total / max(1, len(order) // config.batch_size))
            if on_epoch:
                on_epoch(epoch + 1, losses[-1])
        self.encoder.eval()
        torch.set_num_threads(previous_threads)
        return {"config": asdict(config), "rows": len(rows), "loss_per_epoch": losses,
                "train_seconds": round(time.perf_counter() - start, 1)}
