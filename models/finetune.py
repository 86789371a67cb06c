"""Fine-tune a packaged GGUF model on (prompt, answer) pairs and turn it back into a GGUF.

    model, tokenizer = load_from_gguf(path)            # transformers dequantises the GGUF
    trainer = Trainer(model, examples, TrainConfig(...), callbacks=[...])
    trainer.train()                                     # resumable from out_dir/checkpoint.pt
    save_hf(model, tokenizer, hf_dir)
    convert_to_gguf(hf_dir, bf16_path, converter)      # llama.cpp's convert_hf_to_gguf.py
    quantize(bf16_path, q8_path)                       # Q8_0: Q4 re-quantisation erases a fine-tune

The loss is on the answer tokens only (the prompt is context), and the LM head is applied only
at those positions, so a 49k- or 262k-token vocabulary never materialises [batch, length, vocab]
logits. Nothing here knows about tickets: examples are token ids.
"""
from __future__ import annotations

import ctypes
import json
import math
import os
import random
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable


@dataclass
class Example:
    prompt_ids: list[int]
    answer_ids: list[int]

    def __len__(self) -> int:
        return len(self.prompt_ids) + len(self.answer_ids)


@dataclass
class TrainConfig:
    out_dir: Path
    epochs: float = 2.0
    batch_size: int = 8
    learning_rate: float = 5e-5
    warmup_steps: int = 20
    max_minutes: float = 40.0  # time budget for the optimisation steps
    checkpoint_every: int = 50
    seed: int = 0
    threads: int = 2
    bf16: bool = True

    def to_json(self) -> dict:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}


@dataclass
class TrainState:
    step: int = 0
    epoch: float = 0.0
    losses: list = field(default_factory=list)  # (step, mean loss since last record)
    seconds: float = 0.0
    stopped_by: str = ""


def load_from_gguf(gguf_path: Path):
    """The GGUF's weights dequantised to fp32 in a transformers model, and its tokenizer."""
    os.environ["HF_HUB_OFFLINE"] = "1"  # else transformers waits on hub timeouts
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path = Path(gguf_path)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name,
                                                 dtype=torch.float32)
    return model, tokenizer


def answer_loss(model, input_ids, attention_mask, labels):
    """Mean cross-entropy over the answer tokens (labels != -100), LM head only there."""
    import torch

    hidden = model.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    targets = labels[:, 1:]
    selected = targets != -100
    logits = model.lm_head(hidden[:, :-1][selected]).float()
    cap = getattr(model.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return torch.nn.functional.cross_entropy(logits, targets[selected])


def collate(batch: list[Example], pad_id: int):
    """Right-padded ids, attention mask, and labels with the prompt and padding masked."""
    import torch

    length = max(len(e) for e in batch)
    ids = torch.full((len(batch), length), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), length), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), length), dtype=torch.long)
    for i, e in enumerate(batch):
        n = len(e)
        ids[i, :n] = torch.tensor(e.prompt_ids + e.answer_ids)
        labels[i, len(e.prompt_ids):n] = torch.tensor(e.answer_ids)
        mask[i, :n] = 1
    return ids, mask, labels


class Trainer:
    """Full fine-tuning with AdamW, linear warm-up then cosine decay, bf16 autocast on CPU,
    a time budget, and a checkpoint it resumes from. `callbacks` are called as
    `callback(event, trainer)` with event "epoch_end" or "train_end" (dev scores, plots)."""

    def __init__(self, model, examples: list[Example], config: TrainConfig, pad_id: int,
                 callbacks: list[Callable] = ()):
        import torch

        self.model, self.examples, self.config, self.pad_id = model, examples, config, pad_id
        self.callbacks = list(callbacks)
        self.state = TrainState()
        self.steps_per_epoch = max(1, math.ceil(len(examples) / config.batch_size))
        self.total_steps = max(1, int(self.steps_per_epoch * config.epochs))
        torch.manual_seed(config.seed)
        torch.set_num_threads(config.threads)
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.0)
        self.checkpoint_path = Path(config.out_dir) / "checkpoint.pt"

    def _learning_rate(self, step: int) -> float:
        c = self.config
        if step < c.warmup_steps:
            return c.learning_rate * (step + 1) / c.warmup_steps
        progress = (step - c.warmup_steps) / max(1, self.total_steps - c.warmup_steps)
        return c.learning_rate * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    def _batches(self, epoch: int) -> list[list[int]]:
        """Length-bucketed batches in an order fixed by (seed, epoch): resumable exactly."""
        rng = random.Random(self.config.seed * 1000 + epoch)
        order = list(range(len(self.examples)))
        rng.shuffle(order)
        chunks = [order[i: i + self.config.batch_size * 16] for i in range(0, len(order), self.config.batch_size * 16)]
        batches = []
        for chunk in chunks:  # similar lengths together: less padding
            chunk.sort(key=lambda i: len(self.examples[i]))
            batches += [chunk[i: i + self.config.batch_size] for i in range(0, len(chunk), self.config.batch_size)]
        rng.shuffle(batches)
        return batches

    def save_checkpoint(self) -> None:
        import torch

        tmp = self.checkpoint_path.with_suffix(".tmp")
        torch.save({"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                    "state": asdict(self.state), "config": self.config.to_json()}, tmp)
        os.replace(tmp, self.checkpoint_path)

    def resume(self) -> bool:
        import torch

        if not self.checkpoint_path.exists():
            return False
        saved = torch.load(self.checkpoint_path, weights_only=False)
        self.model.load_state_dict(saved["model"])
        self.optimizer.load_state_dict(saved["optimizer"])
        self.state = TrainState(**saved["state"])
        return True

    def _emit(self, event: str) -> None:
        for callback in self.callbacks:
            callback(event, self)

    def train(self) -> TrainState:
        import torch
        from tqdm import tqdm

        c, state = self.config, self.state
        self.model.train()
        budget_end = time.monotonic() + c.max_minutes * 60 - state.seconds
        running: list[float] = []
        with tqdm(total=self.total_steps, initial=state.step, desc="training", unit="step") as bar:
            while state.step < self.total_steps:
                epoch, offset = divmod(state.step, self.steps_per_epoch)
                for batch in self._batches(epoch)[offset:]:
                    if state.step >= self.total_steps:
                        break
                    if time.monotonic() > budget_end:
                        state.stopped_by = f"time budget ({c.max_minutes:g} min)"
                        break
                    start = time.monotonic()
                    for group in self.optimizer.param_groups:
                        group["lr"] = self._learning_rate(state.step)
                    ids, mask, labels = collate([self.examples[i] for i in batch], self.pad_id)
                    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=c.bf16):
                        loss = answer_loss(self.model, ids, mask, labels)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
                    self.optimizer.step()
                    self.optimizer.zero_grad(set_to_none=True)
                    running.append(loss.item())
                    state.step += 1
                    state.epoch = state.step / self.steps_per_epoch
                    state.seconds += time.monotonic() - start
                    bar.update(1)
                    bar.set_postfix(loss=f"{sum(running[-20:]) / len(running[-20:]):.3f}", epoch=f"{state.epoch:.2f}")
                    if state.step % 10 == 0:
                        state.losses.append((state.step, sum(running) / len(running)))
                        running = []
                    if state.step % c.checkpoint_every == 0:
                        self.save_checkpoint()
                    if state.step % self.steps_per_epoch == 0:
                        self.model.eval()
                        self._emit("epoch_end")
                        self.model.train()
                if state.stopped_by:
                    break
        self.model.eval()
        self.save_checkpoint()
        self._emit("train_end")
        return state


def save_hf(model, tokenizer, hf_dir: Path) -> None:
    """save_pretrained refuses a model loaded from GGUF ("quantized with gguf"): rebuild it from
    its config without the quantization entry and copy the weights (identical logits)."""
    from transformers import AutoModelForCausalLM

    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    clean = AutoModelForCausalLM.from_config(config, dtype=model.dtype)
    clean.load_state_dict(model.state_dict(), strict=False)
    clean.save_pretrained(hf_dir)
    tokenizer.save_pretrained(hf_dir)


def convert_to_gguf(hf_dir: Path, out_path: Path, converter_dir: Path, outtype: str = "bf16") -> None:
    """llama.cpp's convert_hf_to_gguf.py (from the llama-cpp-python sdist, with its gguf-py)."""
    script = Path(converter_dir) / "convert_hf_to_gguf.py"
    if not script.is_file():
        raise FileNotFoundError(f"{script} not found: `make train` fetches llama.cpp's converter first.")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               PYTHONPATH=os.pathsep.join([str(Path(converter_dir) / "gguf-py"), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, str(script), str(hf_dir), "--outfile", str(out_path), "--outtype", outtype],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"convert_hf_to_gguf failed:\n{result.stderr[-3000:]}")


def quantize(source: Path, target: Path, ftype: str = "q8_0", threads: int = 2) -> None:
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = {"q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0, "bf16": llama_cpp.LLAMA_FTYPE_MOSTLY_BF16}[ftype]
    params.nthread = threads
    code = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    if code != 0:
        raise RuntimeError(f"llama_model_quantize failed with code {code}")


def write_json(path: Path, data: dict) -> None:
    Path(path).write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
