"""Choose how the votes combine and which phrase rules stay, on the dev splits; write
triage/tuning.json (read by the pipeline through Settings.tuning_file).

    python -m scripts.tune_decide [--no-model] [--model GGUF] [--out triage/tuning.json]

The fine-tuned encoder head's weight in the evidence mix (when `make train` built it) is chosen
first, on the evidence alone, by the same rule as the vote weights.

Data: the seed dev split (curated + real-register tickets, never in the KB or training) and
real-dev (real customer messages, evaluation only: looked at here, never trained on). Rules
stated before looking:
- vote weight per field (0 = evidence alone): the grid value with the best mean accuracy over
  the two sets (ties: the smaller weight);
- a P1 / feature-request / escalation phrase rule stays only if dropping it lowers one set's
  score (urgency accuracy, escalation F1) and raises neither;
- escalation threshold: the lowest with precision >= 0.70 on both sets, else the best mean F1.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from kb.sources import seed_rows
from triage.config import PROJECT_ROOT, TUNING_FILE, Tuning, get_settings, load_tuning_file
from triage.decide import decide
from triage.escalation import SIGNALS
from triage.rules import P1_RULES

WEIGHTS = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
THRESHOLDS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
FIELD_OF = {"category": "primary_category", "urgency": "urgency", "sentiment": "sentiment"}
REAL_DEV = PROJECT_ROOT / "eval" / "data" / "real_dev" / "tickets.csv"


@dataclass
class Item:
    text: str
    gold: dict
    evidence: object
    vote: object


def load_sets() -> dict[str, list[dict]]:
    seed = [{"text": r["text"], "category": r["category"], "urgency": r["urgency"], "sentiment": r["sentiment"],
             "escalation": bool(r["escalation"])} for r in seed_rows("dev")]
    with REAL_DEV.open(encoding="utf-8") as fh:
        real = [{"text": f"{r['subject']}\n{r['body']}".strip(), "category": r["category"], "urgency": r["urgency"],
                 "sentiment": r["sentiment"], "escalation": r["escalation"].strip().lower() == "true"}
                for r in csv.DictReader(fh)]
    return {"seed_dev": seed, "real_dev": real}


def collect(rows: list[dict], triager, voter) -> list[Item]:
    from tqdm import tqdm

    prepared = [triager.prepare(r["text"]) for r in rows]
    evidences = triager.evidence.assess_many([p.masked for p in prepared])
    votes = [voter.vote(p.masked) if voter else None for p in tqdm(prepared, desc="model votes", disable=not voter)]
    return [Item(p.masked, r, e, v) for p, r, e, v in zip(prepared, rows, evidences, votes)]


def scores(items: list[Item], tuning: Tuning) -> dict:
    hits = dict.fromkeys(FIELD_OF, 0)
    tp = fp = fn = 0
    for item in items:
        values = decide(item.text, item.evidence, item.vote, tuning).values
        for name, key in FIELD_OF.items():
            hits[name] += values[key] == item.gold[name]
        gold, guess = item.gold["escalation"], values["escalation_risk"]
        tp, fp, fn = tp + (gold and guess), fp + (guess and not gold), fn + (gold and not guess)
    out = {name: hits[name] / len(items) for name in FIELD_OF}
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    out.update(escalation_precision=precision, escalation_recall=recall,
               escalation_f1=2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return out


def tune(sets: dict[str, list[Item]], has_vote: bool) -> tuple[Tuning, list[str]]:
    tuning, log = Tuning(), []

    def both(t: Tuning) -> dict:
        return {name: scores(items, t) for name, items in sets.items()}

    def mean(t: Tuning, key: str) -> float:
        return sum(s[key] for s in both(t).values()) / len(sets)

    if has_vote:
        for field in ("category", "urgency", "sentiment"):
            best = max(WEIGHTS, key=lambda w: (round(mean(_with(tuning, vote_weights={**tuning.vote_weights, field: w}), field), 6), -w))
            tuning = _with(tuning, vote_weights={**tuning.vote_weights, field: best})
            log.append(f"vote weight {field}: {best}")
    rules = [("p1", r) for r in P1_RULES] + [("feature", "pure_feature_request")] + [("escalation", s) for s in SIGNALS]
    for kind, rule in rules:
        key = "urgency" if kind in ("p1", "feature") else "escalation_f1"
        with_rule, without = both(tuning), both(_drop(tuning, kind, rule))
        deltas = {name: with_rule[name][key] - without[name][key] for name in sets}
        keep = any(d > 0 for d in deltas.values()) and all(d >= 0 for d in deltas.values())
        log.append(f"rule {kind}:{rule} {'kept' if keep else 'dropped'} (gain with it: "
                   + ", ".join(f"{n} {d:+.3f}" for n, d in deltas.items()) + ")")
        if not keep:
            tuning = _drop(tuning, kind, rule)
    if has_vote:
        weights = [w for w in WEIGHTS]
        candidates = [(t, w) for t in THRESHOLDS for w in weights]
    else:
        candidates = [(t, 0.0) for t in THRESHOLDS]
    ranked = []
    for threshold, weight in candidates:
        t = _with(tuning, escalation_threshold=threshold, vote_weights={**tuning.vote_weights, "escalation": weight})
        result = both(t)
        ok = all(r["escalation_precision"] >= 0.70 for r in result.values())
        ranked.append((ok, sum(r["escalation_recall"] for r in result.values()),
                       sum(r["escalation_f1"] for r in result.values()), -threshold, t))
    best = max(ranked, key=lambda r: (r[0], r[1] if r[0] else r[2], r[3]))
    tuning = best[4]
    log.append(f"escalation: threshold {tuning.escalation_threshold}, vote weight {tuning.vote_weights['escalation']}"
               f" (precision >= 0.70 on both sets: {best[0]})")
    return tuning, log


def _with(tuning: Tuning, **changes) -> Tuning:
    return tuning.model_copy(update=changes)


def _drop(tuning: Tuning, kind: str, rule: str) -> Tuning:
    if kind == "p1":
        return _with(tuning, p1_rules=[r for r in tuning.p1_rules if r != rule])
    if kind == "feature":
        return _with(tuning, feature_request_rule=False)
    current = tuning.escalation_rules if tuning.escalation_rules is not None else list(SIGNALS)
    return _with(tuning, escalation_rules=[s for s in current if s != rule])


ENCODER_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0)


def remix(sets: dict[str, list[Item]], head_weights: dict) -> dict[str, list[Item]]:
    """The same items with each field's evidence re-mixed from its per-head probabilities."""
    from triage.evidence import Evidence, FieldEvidence, mix
    from triage.heads import FIELDS

    def one(item: Item) -> Item:
        fields = {f: FieldEvidence(mix(fe.heads, head_weights[f], FIELDS[f]), fe.heads)
                  for f, fe in item.evidence.fields.items()}
        ev = item.evidence
        return Item(item.text, item.gold, Evidence(fields, ev.hits, ev.vector, ev.heads), item.vote)

    return {name: [one(i) for i in items] for name, items in sets.items()}


def tune_encoder_weights(sets: dict[str, list[Item]], head_weights: dict) -> tuple[dict, list[str]]:
    """Weight of the fine-tuned encoder head per field, on the evidence alone: the grid value with
    the best mean score over the sets (accuracy; escalation F1), ties to the smaller weight."""
    log = []
    no_vote = {name: [Item(i.text, i.gold, i.evidence, None) for i in items] for name, items in sets.items()}
    for field in ("category", "urgency", "sentiment", "escalation"):
        key = "escalation_f1" if field == "escalation" else field

        def mean(w: float) -> float:
            trial = {**head_weights, field: {**head_weights[field], "encoder": w}}
            return sum(scores(items, Tuning())[key] for items in remix(no_vote, trial).values()) / len(sets)

        results = {w: mean(w) for w in ENCODER_WEIGHTS}
        best = max(ENCODER_WEIGHTS, key=lambda w: (round(results[w], 6), -w))
        head_weights = {**head_weights, field: {**head_weights[field], "encoder": best}}
        log.append(f"encoder head weight {field}: {best} (" + ", ".join(f"{w}: {v:.3f}" for w, v in results.items()) + ")")
    return head_weights, log


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-model", action="store_true", help="tune without the trained model's vote")
    parser.add_argument("--model", help="the tuned GGUF whose vote is weighed (default: the one `make train` built)")
    parser.add_argument("--out", default=str(TUNING_FILE))
    args = parser.parse_args(argv)
    from models.registry import TRAINED, resolve_model_path
    from models.locate import ModelNotFoundError
    from triage.tuned import TunedVoter, load_card
    from triage.wiring import build_triager

    settings = get_settings()
    triager = build_triager(settings, mode="evidence")
    voter = None
    if not args.no_model:
        try:
            from models.llamacpp import LlamaCppLLM

            path = resolve_model_path(args.model or TRAINED, settings.data_dir)
            voter = TunedVoter(LlamaCppLLM(path, n_threads=settings.n_threads), (load_card(path) or {}).get("temperatures", {}))
        except ModelNotFoundError as exc:
            print(f"note: {exc} Tuning the evidence and rules alone.", file=sys.stderr)
    sets = {name: collect(rows, triager, voter) for name, rows in load_sets().items()}
    file = load_tuning_file(args.out)
    chosen = {}
    if triager.evidence.encoder is not None:
        head_weights, log = tune_encoder_weights(sets, file.evidence.head_weights)
        print("== evidence\n" + "\n".join(log))
        sets = remix(sets, head_weights)
        chosen["evidence"] = file.evidence.model_copy(update={
            "head_weights": head_weights, "chosen_by": file.evidence.chosen_by.split("; encoder")[0]
            + f"; encoder head weights: scripts.tune_decide {time.strftime('%Y-%m-%d')} on seed dev + real-dev"})
    for variant, use_vote in (("evidence_only", False), ("with_model", True)):
        if use_vote and voter is None:
            chosen[variant] = chosen["evidence_only"]
            continue
        view = {name: [Item(i.text, i.gold, i.evidence, i.vote if use_vote else None) for i in items]
                for name, items in sets.items()}
        before = {name: scores(items, Tuning()) for name, items in view.items()}
        tuning, log = tune(view, use_vote)
        chosen[variant] = _with(tuning, chosen_by=f"scripts.tune_decide {time.strftime('%Y-%m-%d')}: seed dev "
                                f"{len(sets['seed_dev'])} rows + real-dev {len(sets['real_dev'])} rows, {variant}")
        after = {name: scores(items, chosen[variant]) for name, items in view.items()}
        print(f"== {variant}\n" + "\n".join(log))
        for name in view:
            print(f"{name}: before {json.dumps({k: round(v, 3) for k, v in before[name].items()})}")
            print(f"{' ' * len(name)}  after  {json.dumps({k: round(v, 3) for k, v in after[name].items()})}")
    text = file.model_copy(update=chosen).model_dump_json(indent=2) + "\n"
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
