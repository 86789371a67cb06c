"""Measure the LLM's position bias for the category field, and whether a calibrated LLM vote
adds anything to the evidence layer (curated dev split; never the test split).

    python -m scripts.llm_bias [--n 80] [--model PATH] [--json]

1. Constrained choice (Outlines) with the taxonomy and choices in the default order, then
   reversed: how often does the answer flip, and how often is it the first label listed?
2. Label scoring: log p(first token of each label | prompt) read from llama.cpp's logits,
   averaged over both label orders and calibrated against the mean over the tickets
   (contextual calibration with real tickets, not a content-free "N/A").
3. Mixed with the evidence probabilities (p_evidence * p_llm ** w): accuracy by weight.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import sys
import typing

import numpy as np

from kb.sources import curated_rows
from triage.config import get_settings
from triage.schema import CATEGORIES

ORDERS = {"default": list(CATEGORIES), "reversed": list(reversed(CATEGORIES))}


def system_prompt(order: list[str]) -> str:
    from triage.prompts import CLASSIFY_SYSTEM

    # Re-list the category definitions in the requested order.
    head, rest = CLASSIFY_SYSTEM.split("Categories", 1)
    lines = rest.split("\n")
    defs = {ln.split(":")[0].strip("- ").strip(): ln for ln in lines if ln.startswith("- ") and ":" in ln}
    cat_lines = [defs[c] for c in order]
    others = [ln for ln in lines[1:] if not (ln.startswith("- ") and ln.split(":")[0].strip("- ").strip() in CATEGORIES)]
    return head + "Categories" + lines[0] + "\n" + "\n".join(cat_lines) + "\n" + "\n".join(others)


def label_logprobs(llm, prompt: str, first_tokens: dict[str, int]) -> dict[str, float]:
    import llama_cpp

    tokens = llm.llama.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
    common = 0
    for a, b in zip(llm.llama.input_ids[: llm.llama.n_tokens], tokens):
        if a != b:
            break
        common += 1
    common = min(common, len(tokens) - 1)
    llm.llama.n_tokens = common
    llm.llama.eval(tokens[common:])
    ptr = llama_cpp.llama_get_logits_ith(llm.llama._ctx.ctx, -1)
    logits = np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(llm.llama.n_vocab(),)).copy()
    logz = np.logaddexp.reduce(logits.astype(np.float64))
    return {label: float(logits[tok] - logz) for label, tok in first_tokens.items()}


def run(n: int, model: str | None) -> dict:
    from triage.evidence import EvidenceLayer
    from triage.prompts import classify_user_message
    from triage.wiring import open_kb, open_llm

    settings = get_settings(model=model)
    llm = open_llm(settings)
    rows = list(curated_rows("dev"))[:n]
    truth = [r["category"] for r in rows]
    first_tokens = {c: llm.tokenize(c)[0] for c in CATEGORIES}
    assert len(set(first_tokens.values())) == len(CATEGORIES), "labels share a first token"

    choices, scores = {}, {}
    for name, order in ORDERS.items():
        system = system_prompt(order)
        choice_type = typing.Literal[tuple(json.dumps(c) for c in order)]
        choices[name], scores[name] = [], []
        for r in rows:
            prompt = llm.render_chat(system, classify_user_message(r["text"], r["language"])) + '{"primary_category":'
            gen = llm.generate_structured(prompt, choice_type, 16)
            choices[name].append(json.loads(gen.text))
            scores[name].append(llm.on_worker(label_logprobs, llm, prompt + '"', first_tokens))

    flips = np.mean([a != b for a, b in zip(choices["default"], choices["reversed"])])
    first_listed = {name: float(np.mean([c == ORDERS[name][0] for c in choices[name]])) for name in ORDERS}
    acc_choice = {name: float(np.mean([c == t for c, t in zip(choices[name], truth)])) for name in ORDERS}

    # order-averaged, calibrated label scores
    lp = np.array([[np.mean([scores[o][i][c] for o in ORDERS]) for c in CATEGORIES] for i in range(len(rows))])
    raw_pred = [CATEGORIES[j] for j in lp.argmax(1)]
    calibrated = lp - lp.mean(axis=0, keepdims=True)
    cal_pred = [CATEGORIES[j] for j in calibrated.argmax(1)]
    p_llm = np.exp(calibrated - np.logaddexp.reduce(calibrated, axis=1, keepdims=True))

    layer = EvidenceLayer(open_kb(settings, threads=1), settings)
    p_ev = np.array([[layer.assess(r["text"]).fields["category"].probs[c] for c in CATEGORIES] for r in rows])
    mixes = {}
    for w in (0.0, 0.1, 0.25, 0.5, 1.0):
        mixed = np.log(p_ev + 1e-9) + w * np.log(p_llm + 1e-9)
        mixes[str(w)] = float(np.mean([CATEGORIES[j] == t for j, t in zip(mixed.argmax(1), truth)]))
    return {
        "n": len(rows), "model": llm.name,
        "choice_flip_rate_when_order_reversed": float(flips),
        "choice_is_first_listed_label": first_listed,
        "choice_accuracy": acc_choice,
        "label_score_accuracy_uncalibrated": float(np.mean([p == t for p, t in zip(raw_pred, truth)])),
        "label_score_accuracy_calibrated": float(np.mean([p == t for p, t in zip(cal_pred, truth)])),
        "evidence_accuracy": mixes["0.0"],
        "evidence_plus_llm_accuracy_by_weight": mixes,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=80)
    parser.add_argument("--model")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.n, args.model)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
