"""Evidence: a probability per label for category, urgency, sentiment and escalation, from the
knowledge base, in milliseconds.

- kNN vote: the top-k resolved tickets in LanceDB, weighted by exp(similarity / T).
- The trained heads (triage/heads.py): logistic regression on the KB embeddings, a lexical
  TF-IDF head, and zero-shot similarity to the taxonomy text (category only).
- `encoder`: the MiniLM fine-tuned per field by `make train` (models/encoder_classifier.py),
  when it has been built.
How the heads are mixed (`EvidenceTuning.head_weights`, `knn_temperature`) is configuration in
triage/tuning.json, chosen on the curated dev split by `scripts/tune_evidence.py`.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from triage.config import EvidenceTuning, load_tuning_file
from triage.heads import FIELDS, TrainedHeads, load_or_fit


@dataclass
class FieldEvidence:
    probs: dict  # combined probability per label
    heads: dict = field(default_factory=dict)  # head name -> {label: p}

    @property
    def ranked(self) -> list[tuple]:
        return sorted(self.probs.items(), key=lambda kv: kv[1], reverse=True)


@dataclass
class Evidence:
    fields: dict  # field -> FieldEvidence
    hits: list  # kb.store.Hit, most similar first
    vector: np.ndarray
    heads: TrainedHeads | None = None


def knn_vote(hits, field_name: str, labels, temperature: float) -> dict:
    scores = dict.fromkeys(labels, 0.0)
    total = 0.0
    for hit in hits:
        value = getattr(hit, field_name, None)
        if value is None or value not in scores:
            continue
        w = float(np.exp((hit.similarity - 1.0) / temperature))
        scores[value] += w
        total += w
    return {k: v / total for k, v in scores.items()} if total > 0 else {}


def mix(heads: dict, weights: dict, labels) -> dict:
    combined = dict.fromkeys(labels, 0.0)
    total = 0.0
    for name, w in weights.items():
        probs = heads.get(name)
        if not probs or w <= 0:
            continue
        total += w
        for label in labels:
            combined[label] += w * probs.get(label, 0.0)
    if total == 0:
        return {label: 1.0 / len(labels) for label in labels}
    return {k: v / total for k, v in combined.items()}


class EvidenceLayer:
    """Embeds a ticket once, retrieves neighbours, and returns per-field probabilities."""

    def __init__(self, kb, settings, tuning: EvidenceTuning | None = None, encoder=None):
        """encoder: a models.encoder_classifier.EncoderClassifier (the `encoder` head), or None."""
        self.kb = kb
        self.settings = settings
        self.encoder = encoder
        self.tuning = tuning or load_tuning_file(settings.tuning_file).evidence
        self._lock = threading.Lock()
        self.heads = load_or_fit(kb)
        self.assess("warm-up: first call initialises the encoders")

    def refresh(self) -> None:
        """Refit the heads if the KB changed (e.g. after add_resolved)."""
        with self._lock:
            if self.heads.kb_version != self.kb.version:
                self.heads = load_or_fit(self.kb)

    def assess(self, text: str) -> Evidence:
        return self.assess_many([text], batch=False)[0]

    def assess_many(self, texts: list[str], batch: bool = True) -> list[Evidence]:
        """Evidence for many tickets: one embedding call, one LanceDB query, one TF-IDF transform."""
        if not texts:
            return []
        texts = list(texts)
        heads = self.heads
        vectors = self.kb.embedder.encode(texts, threads=self.settings.n_threads or 2) if batch \
            else self.kb.embedder.encode(texts)
        all_hits = self.kb.search_many(vectors, k=max(self.settings.knn_k, self.settings.retrieval_k))
        lexical = heads.lexical_features(texts)
        tuned = self.encoder.predict_proba(texts) if self.encoder is not None else [{} for _ in texts]
        return [Evidence(fields=self._fields(heads, vector, hits, lexical[i] if lexical is not None else None,
                                             tuned[i]),
                         hits=hits, vector=vector, heads=heads)
                for i, (vector, hits) in enumerate(zip(vectors, all_hits))]

    def _fields(self, heads: TrainedHeads, vector: np.ndarray, hits: list, lexical_row, tuned: dict) -> dict:
        fields = {}
        for name, labels in FIELDS.items():
            per_head = {"lr": heads.lr_probs(name, vector),
                        "knn": knn_vote(hits, name, labels, self.tuning.knn_temperature),
                        "lexical": heads.lexical_probs(name, lexical_row),
                        "encoder": tuned.get(name, {})}
            if name == "category":
                per_head["zero_shot"] = heads.zero_shot(vector)
                per_head["lr_domain"] = heads.lr_probs("category_domain", vector)
            fields[name] = FieldEvidence(mix(per_head, self.tuning.head_weights[name], labels), per_head)
        return fields
