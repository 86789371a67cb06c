"""Teach the local model the triage task: `make train` (python -m scripts.train).

    python -m scripts.train [--base smollm2|gemma3-270m] [--epochs 2] [--max-minutes 40]
                            [--public 600] [--limit N] [--resume] [--out data/models/trained]

Fine-tunes the packaged base GGUF on the labelled tickets the product has — the curated and
real-register seed tickets (their `kb` split only), the corrections stored from the app, and a
sample of the mapped public sets (category only) — converts it back to a Q8_0 GGUF that the
product loads by default (`--model auto`), fits a softmax temperature per field on the dev
splits, and writes a training report (loss curve, dev scores per epoch) beside the model. Then
fine-tunes the packaged MiniLM with a head per field on the KB's labelled rows (an evidence head,
OUT/encoder; `--parts` trains one of the two).
Never trains on the dev/test splits or on anything under eval/ (real-dev is evaluation only).
"""
from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from kb.sources import bitext_rows, banking77_rows, nlbse24_rows, seed_rows
from models.finetune import (Example, TrainConfig, Trainer, convert_to_gguf, load_from_gguf, quantize, save_hf,
                             write_json)
from models.registry import ENCODER_SUBDIR, resolve_model_path, trained_model_path
from scripts.build_kb import prepare
from triage.config import PROJECT_ROOT, get_settings
from triage.tuned import ANSWER_FIELDS, TUNED_SYSTEM, answer_text, truncate_ticket

TICKET_TOKENS = 256  # the tuned vote sees at most this many ticket tokens (triage.tuned)
SUMMARY_MAX_CHARS = 110
CONVERTER_DIR = PROJECT_ROOT / "data" / "tools" / "llama.cpp"
OWN_SOURCES = {"curated", "realstyle", "feedback"}


def labelled_rows(public_per_source: int, seed: int, kb=None) -> tuple[list[dict], Counter]:
    """(rows with text + labels + optional summary, counts per source). Seed rows carry every
    field; public rows only the category."""
    rows, counts = [], Counter()
    for r in seed_rows("kb"):
        subject = r["text"].split("\n", 1)[0] if "\n" in r["text"] else ""
        summary = subject if 8 <= len(subject) <= SUMMARY_MAX_CHARS else None
        rows.append({"text": r["text"], "category": r["category"], "urgency": r["urgency"],
                     "sentiment": r["sentiment"], "escalation": bool(r["escalation"]), "summary": summary})
        counts[r["source"]] += 1
    if kb is not None:
        for r in kb.rows_from_source("feedback"):
            rows.append({k: r.get(k) for k in ("text", "category", "urgency", "sentiment", "escalation")})
            counts["feedback"] += 1
    rng = random.Random(seed)
    for name, source in (("bitext", bitext_rows()), ("banking77", banking77_rows()), ("nlbse24", nlbse24_rows())):
        pool = list(source)
        for r in rng.sample(pool, min(public_per_source, len(pool))):
            rows.append({"text": r["text"], "category": r["category"]})
            counts[name] += 1
    return rows, counts


def dev_rows() -> list[dict]:
    return [{"text": r["text"], "category": r["category"], "urgency": r["urgency"], "sentiment": r["sentiment"],
             "escalation": bool(r["escalation"]), "language": r["language"], "source": r["source"]}
            for r in seed_rows("dev")]


class TaskFormat:
    """Prompt and answer token ids exactly as llama.cpp will see them at inference (the base
    GGUF's own chat template and tokenizer)."""

    def __init__(self, base_gguf: Path):
        from models.llamacpp import LlamaCppLLM

        self.llm = LlamaCppLLM(base_gguf, n_threads=1, n_ctx=512)
        self.eos = self.llm.llama.token_eos()

    def prompt_ids(self, text: str) -> list[int]:
        prompt = self.llm.render_chat(TUNED_SYSTEM, truncate_ticket(self.llm, text, TICKET_TOKENS))
        return self.llm.llama.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)

    def example(self, row: dict) -> Example | None:
        cleaned = prepare({"text": row["text"]})
        if cleaned is None:
            return None
        answer = answer_text(row, row.get("summary"))
        answer_ids = self.llm.llama.tokenize(answer.encode("utf-8"), add_bos=False, special=False) + [self.eos]
        return Example(self.prompt_ids(cleaned["text"]), answer_ids)

    def field_positions(self, row: dict) -> tuple[list[int], dict]:
        """Teacher-forced dev check: the full ids, and per field the position whose next-token
        logits choose the value, with each allowed value's first distinguishing token (" P1".."P4"
        share their first token " P")."""
        cleaned = prepare({"text": row["text"]}) or {"text": row["text"]}
        ids = self.prompt_ids(cleaned["text"])
        positions = {}
        for name, (values, evidence_field) in ANSWER_FIELDS.items():
            ids += self.llm.llama.tokenize(f"{name}:".encode(), add_bos=False, special=False)
            tokens = [self.llm.tokenize(f" {v}") for v in values]
            shared = 0
            while all(len(t) > shared + 1 for t in tokens) and len({t[shared] for t in tokens}) == 1:
                shared += 1
            positions[evidence_field] = (len(ids) - 1 + shared, [t[shared] for t in tokens], values)
            gold = row[evidence_field]
            gold_text = ("yes" if gold else "no") if name == "escalation" else gold
            ids += self.llm.tokenize(f" {gold_text}\n")
        return ids, positions


def dev_scores(model, fmt: TaskFormat, rows: list[dict]) -> dict:
    """Per-field accuracy of the model's first-token choice among the allowed values (gold
    previous fields, one forward pass per ticket)."""
    import torch

    hits = Counter()
    with torch.no_grad():
        for row in rows:
            ids, positions = fmt.field_positions(row)
            logits = model(input_ids=torch.tensor([ids])).logits[0]
            for field, (pos, firsts, values) in positions.items():
                choice = values[int(torch.argmax(logits[pos, firsts]))]
                gold = row[field]
                hits[field] += (choice == ("yes" if gold else "no")) if field == "escalation" else (choice == gold)
    return {f: hits[f] / len(rows) for f in positions} if rows else {}


def calibrate(gguf: Path, rows: list[dict], threads: int) -> tuple[dict, dict]:
    """Per-field softmax temperature minimising the dev negative log-likelihood of the tuned
    GGUF's label scores (llama.cpp, as at inference), and the dev accuracy of its votes."""
    import numpy as np

    from models.llamacpp import LlamaCppLLM
    from triage.tuned import TunedVoter

    llm = LlamaCppLLM(gguf, n_threads=threads, n_ctx=1024)
    voter = TunedVoter(llm)
    scores = {f: [] for _, f in ANSWER_FIELDS.values()}
    for row in rows:
        cleaned = prepare({"text": row["text"]})
        ids = llm.tokenize(cleaned["text"])[:TICKET_TOKENS]
        vote = voter.vote(llm.detokenize(ids))
        for field, probs in vote.probs.items():
            scores[field].append((np.log(np.maximum(list(probs.values()), 1e-12)), list(probs).index(row[field])))
    temperatures, accuracy = {}, {}
    for field, items in scores.items():
        best = (math.inf, 1.0)
        for t in (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0):
            nll = 0.0
            for logp, gold in items:
                z = logp / t
                nll -= z[gold] - np.logaddexp.reduce(z)
            best = min(best, (nll / len(items), t))
        temperatures[field] = best[1]
        accuracy[field] = float(np.mean([int(np.argmax(logp)) == gold for logp, gold in items]))
    return temperatures, accuracy


def plot_report(out: Path, state, epochs: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
    if state.losses:
        a.plot([s for s, _ in state.losses], [l for _, l in state.losses])
    a.set_xlabel("step"), a.set_ylabel("answer loss"), a.set_title("training loss")
    for field in ("category", "urgency", "sentiment", "escalation"):
        b.plot([e["epoch"] for e in epochs], [e["dev"].get(field) for e in epochs], marker="o", label=field)
    b.set_xlabel("epoch"), b.set_ylabel("dev accuracy"), b.set_title("dev (teacher-forced)"), b.legend()
    fig.tight_layout()
    fig.savefig(out / "training.png", dpi=90)
    plt.close(fig)


def run(args) -> dict:
    settings = get_settings()
    out = Path(args.out or trained_model_path(settings.data_dir).parent)
    kb = None
    try:
        from triage.wiring import open_kb

        kb = open_kb(settings)
    except Exception as exc:  # no KB yet: train without corrections
        print(f"note: no knowledge base ({exc}); training without corrections", file=sys.stderr)
    parts = {p.strip() for p in args.parts.split(",")}
    card = train_llm(args, settings, kb, out) if "llm" in parts else {}
    if "encoder" in parts:
        card["encoder"] = train_encoder(args, kb, out / ENCODER_SUBDIR) if kb is not None else None
    return card


def encoder_rows(kb, public_per_source: int, seed: int) -> list[dict]:
    """The KB's labelled rows as the evidence layer sees them (cleaned, masked): every row of our
    own sources (seed `kb` split, corrections), and a sample of each public source (category only)."""
    _, cols = kb.labelled(("text", "source", "category", "urgency", "sentiment", "escalation"))
    fields = ("category", "urgency", "sentiment", "escalation")
    by_source: dict[str, list[dict]] = {}
    for i, source in enumerate(cols["source"]):
        by_source.setdefault(source, []).append({"text": cols["text"][i], **{f: cols[f][i] for f in fields}})
    rng, rows = random.Random(seed), []
    for source, members in sorted(by_source.items()):
        rows += members if source in OWN_SOURCES else rng.sample(members, min(public_per_source, len(members)))
    return rows


def train_encoder(args, kb, out: Path) -> dict:
    """Fine-tune the packaged MiniLM with a head per field (models.encoder_classifier)."""
    from models.embedder import minilm_path
    from models.encoder_classifier import EncoderClassifier, EncoderTrainConfig
    from triage.heads import FIELDS

    rows = encoder_rows(kb, args.public, args.seed)
    if args.limit:  # a mix of sources, not the first source's rows (the full run's order is unchanged)
        rows = random.Random(args.seed).sample(rows, min(args.limit, len(rows)))
    labels = {f: list(v) for f, v in FIELDS.items()}
    model = EncoderClassifier.from_base(minilm_path(), labels, threads=args.threads)
    config = EncoderTrainConfig(epochs=args.encoder_epochs, seed=args.seed, threads=args.threads)
    print(f"encoder: {len(rows)} rows, {config.epochs} epochs", flush=True)
    report = model.fit(rows, config, on_epoch=lambda e, loss: print(f"encoder epoch {e}: loss {loss:.3f}", flush=True))
    report["trained_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    model.save(out, report)
    return report


def train_llm(args, settings, kb, out: Path) -> dict:
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    base = resolve_model_path(args.base, settings.data_dir)
    fmt = TaskFormat(base)
    rows, counts = labelled_rows(args.public, args.seed, kb)
    random.Random(args.seed).shuffle(rows)
    rows = rows[: args.limit] if args.limit else rows
    examples = [e for e in (fmt.example(r) for r in rows) if e is not None]
    dev = dev_rows()
    dev = random.Random(args.seed).sample(dev, min(len(dev), args.dev_limit)) if args.dev_limit else dev
    print(f"training examples: {len(examples)} ({dict(counts)}); dev rows: {len(dev)}; "
          f"mean length {sum(map(len, examples)) / max(1, len(examples)):.0f} tokens", flush=True)

    model, tokenizer = load_from_gguf(base)
    config = TrainConfig(out_dir=work, epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr,
                         max_minutes=args.max_minutes, seed=args.seed, threads=args.threads)
    epochs: list[dict] = []

    def on_event(event: str, trainer: Trainer) -> None:
        if event == "epoch_end" or (event == "train_end" and (not epochs or epochs[-1]["step"] != trainer.state.step)):
            scores = dev_scores(model, fmt, dev)
            epochs.append({"epoch": round(trainer.state.epoch, 3), "step": trainer.state.step, "dev": scores})
            print(f"epoch {trainer.state.epoch:.2f}: dev {json.dumps({k: round(v, 3) for k, v in scores.items()})}", flush=True)

    trainer = Trainer(model, examples, config, pad_id=fmt.eos, callbacks=[on_event])
    if args.resume and trainer.resume():
        print(f"resumed from step {trainer.state.step}", flush=True)
    start = time.perf_counter()
    state = trainer.train()
    train_seconds = time.perf_counter() - start

    save_hf(model, tokenizer, work / "hf")
    bf16 = work / "model-bf16.gguf"
    convert_to_gguf(work / "hf", bf16, Path(args.converter))
    target = out / "triage.gguf"
    quantize(bf16, target.with_suffix(".tmp"), "q8_0", args.threads)
    temperatures, vote_accuracy = calibrate(target.with_suffix(".tmp"), dev, args.threads)
    card = {"base": args.base, "base_file": str(base), "trained_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "examples": len(examples), "by_source": dict(counts), "config": config.to_json(),
            "steps": state.step, "epochs": state.epoch, "stopped_by": state.stopped_by or "finished",
            "train_seconds": round(train_seconds, 1), "dev_per_epoch": epochs,
            "temperatures": temperatures, "dev_vote_accuracy": vote_accuracy, "quantisation": "Q8_0"}
    write_json(out / "triage.json", card)
    plot_report(out, state, epochs)
    target.with_suffix(".tmp").replace(target)  # the product switches to it only once it is complete
    if not args.keep_work:
        shutil.rmtree(work / "hf", ignore_errors=True)
        bf16.unlink(missing_ok=True)
    return card


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", default="smollm2", help="registered base model: smollm2 or gemma3-270m")
    p.add_argument("--epochs", type=float, default=2.0)
    p.add_argument("--max-minutes", type=float, default=30.0, help="time budget for the optimisation steps")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--public", type=int, default=200, help="rows sampled from each mapped public set")
    p.add_argument("--limit", type=int, help="train on at most this many rows (smoke tests)")
    p.add_argument("--dev-limit", type=int, help="score at most this many dev rows per epoch")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in OUT/work")
    p.add_argument("--keep-work", action="store_true", help="keep the HF copy and the bf16 GGUF")
    p.add_argument("--converter", default=str(CONVERTER_DIR), help="llama.cpp checkout with convert_hf_to_gguf.py")
    p.add_argument("--out", help="output folder (default data/models/trained)")
    p.add_argument("--parts", default="llm,encoder",
                   help="what to train: llm (the GGUF model), encoder (the fine-tuned MiniLM evidence head), or both")
    p.add_argument("--encoder-epochs", type=int, default=3)
    return p


def main(argv=None) -> int:
    card = run(build_parser().parse_args(argv))
    print(json.dumps({k: card[k] for k in ("examples", "steps", "epochs", "stopped_by", "train_seconds",
                                           "temperatures", "dev_vote_accuracy", "encoder") if k in card},
                     indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
