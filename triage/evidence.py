"""Evidence heads: a probability per label for category, urgency, sentiment and escalation,
from the knowledge base, in milliseconds.

- kNN vote: the top-k resolved tickets in LanceDB, weighted by exp(similarity / T).
- Light classifiers: logistic regression on the KB embeddings (MiniLM + multilingual USE),
  retrained when the KB version changes, cached on disk next to the KB.
- Zero-shot: similarity to short per-label descriptions (category only).
- Lexical: TF-IDF (character 2-5-grams + words) logistic regression on the taxonomy-exact
  rows (curated + corrections); catches keywords the sentence embeddings blur, in any language.
How the heads are mixed is configuration (`HEAD_WEIGHTS`), chosen on the curated dev split
by `scripts/tune_evidence.py` — never on the test split.
"""
from __future__ import annotations

import pickle
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from triage.schema import CATEGORIES, SENTIMENTS, URGENCIES

FIELDS = {"category": CATEGORIES, "urgency": URGENCIES, "sentiment": SENTIMENTS, "escalation": (False, True)}
# Rows from our own seed sets (curated and real-register) and from user corrections describe the
# product's taxonomy exactly; the public sets are off-domain, so they count less in training.
SOURCE_WEIGHT = {"curated": 6.0, "realstyle": 6.0, "feedback": 6.0}
DEFAULT_SOURCE_WEIGHT = 1.0
# Mixing weights per field and head (chosen on the dev split; see scripts/tune_evidence.py).
HEAD_WEIGHTS = {
    "category": {"lr": 1.0, "knn": 0.5, "zero_shot": 0.5, "lr_domain": 0.5, "lexical": 1.0},
    "urgency": {"lr": 0.5, "lexical": 1.0},
    "sentiment": {"lr": 0.5, "lexical": 1.0},
    "escalation": {"lr": 0.5, "lexical": 1.0},
}
KNN_TEMPERATURE = 0.05

LABEL_DESCRIPTIONS = {
    "billing": ["A question or complaint about a charge, invoice, refund, payment method, price or subscription cost.",
                "I was charged twice and want my money back.", "My invoice amount is wrong."],
    "technical": ["A product error, bug, crash, outage, slow performance, or an API, webhook or integration failing.",
                  "The app crashes and shows an error.", "Data is not syncing between systems."],
    "account": ["A problem with login, password, two-factor authentication, access, users, profile, email change, "
                "or closing, locking or a compromised account.", "I cannot log in to my account.",
                "Please add a new user and change my email address."],
    "feature_request": ["A request for a new feature, capability or improvement, or feedback suggesting a change.",
                        "It would be great if you could add this option.", "Please support exporting to a new format."],
    "general": ["A how-to or usage question, order or shipping status, a policy question, praise or anything else.",
                "Where is my order?", "How do I use this feature?", "Thank you, great service!"],
}


SUBCATEGORIES = {
    "billing": {"double_charge": "charged twice, duplicate charge", "refund": "refund request or missing refund",
                "invoice": "invoice or receipt is wrong or missing", "payment_method": "card or payment method declined or update",
                "pricing_plan": "price, plan, upgrade, downgrade or subscription cost", "unexpected_charge": "unexpected or unrecognised fee or charge",
                "payout": "payouts, transfers or money not received"},
    "technical": {"outage": "service down, outage, not loading for anyone", "bug": "error message, bug, crash, broken feature",
                  "performance": "slow, timeouts, performance degradation", "integration_api": "API, webhook, SDK or integration failing",
                  "data_sync": "data not syncing, missing or lost data", "connectivity": "no internet, signal, network or connection problems"},
    "account": {"login": "cannot log in or sign in", "password_2fa": "password reset, two-factor authentication, verification code",
                "access_users": "user management, roles, permissions, invites, seats", "profile_change": "change email, name, phone or profile details",
                "account_closure": "close, delete or cancel the account", "security": "hacked, compromised account, unauthorised access, fraud",
                "verification": "identity verification, KYC documents"},
    "feature_request": {"new_feature": "asking for a new feature or capability", "improvement": "improve an existing feature or the design",
                        "integration_request": "support for another tool, platform or integration", "feedback": "product feedback or suggestion"},
    "general": {"how_to": "how do I, usage question", "order_status": "where is my order, delivery or shipping status",
                "returns": "return or exchange an item", "policy": "policy, terms, contract or legal question",
                "praise": "thank you, praise, compliment", "other": "anything else or unclear request"},
}


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
    heads: "TrainedHeads | None" = None


class TrainedHeads:
    """Logistic-regression heads and label-description vectors for one KB version."""

    def __init__(self, kb_version: int, models: dict, label_vectors: np.ndarray, embedder_name: str):
        self.kb_version = kb_version
        self.models = models
        self.label_vectors = label_vectors
        self.embedder_name = embedder_name

    def lexical_features(self, texts: list[str]):
        return self.lexical_vectorizer.transform(texts)

    def lexical_probs(self, field_name: str, features) -> dict:
        """features: one row of lexical_features()."""
        model = self.lexical_models.get(field_name)
        if model is None:
            return {}
        p = model.predict_proba(features)[0]
        return {_label(c): float(v) for c, v in zip(model.classes_, p)}

    def lr_probs(self, field_name: str, vector: np.ndarray) -> dict:
        model = self.models.get(field_name)
        if model is None:
            return {}
        p = model.predict_proba(vector.reshape(1, -1))[0]
        return {_label(c): float(v) for c, v in zip(model.classes_, p)}

    def subcategory(self, category: str, vector: np.ndarray) -> tuple[str, float]:
        names, vecs = self.subcategory_vectors.get(category, ([], None))
        if not names:
            return "other", 0.0
        sims = vecs @ vector
        i = int(np.argmax(sims))
        return names[i], float(sims[i])

    def zero_shot(self, vector: np.ndarray, temperature: float = 0.02) -> dict:
        sims = self.label_vectors @ vector  # (labels, descriptions)
        best = sims.max(axis=1)
        e = np.exp((best - best.max()) / temperature)
        return {c: float(v) for c, v in zip(CATEGORIES, e / e.sum())}


def _label(value):
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    return str(value)


def _heads_path(kb) -> Path:
    return Path(kb.path) / "evidence_heads.pkl"


def fit_vector_head(x, y, sample_weight=None):
    """Logistic regression on embeddings (the `lr` and `lr_domain` heads)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=2.0, max_iter=300, class_weight="balanced").fit(x, y, sample_weight=sample_weight)


def fit_lexical_head(features, y):
    """Logistic regression on the TF-IDF features of _lexical_vectorizer (the `lexical` head)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced").fit(features, y)


def train_heads(kb) -> TrainedHeads:
    """Fit the heads on every labelled KB row and cache them for this KB version."""
    vectors, cols = kb.labelled(("category", "urgency", "sentiment", "escalation", "source", "text"))
    weights = np.array([SOURCE_WEIGHT.get(s, DEFAULT_SOURCE_WEIGHT) for s in cols["source"]])
    models = {}
    for name, labels in FIELDS.items():
        y = cols[name]
        rows = [i for i, v in enumerate(y) if v is not None and v in labels]
        present = {y[i] for i in rows}
        if len(present) < 2:
            continue
        models[name] = fit_vector_head(vectors[rows], [y[i] for i in rows], sample_weight=weights[rows])
    # An in-domain category head: only our own taxonomy-exact rows (curated + corrections).
    domain_rows = [i for i, (src, c) in enumerate(zip(cols["source"], cols["category"]))
                   if src in SOURCE_WEIGHT and c in CATEGORIES]
    if len({cols["category"][i] for i in domain_rows}) >= 2:
        models["category_domain"] = fit_vector_head(vectors[domain_rows], [cols["category"][i] for i in domain_rows])
    # Lexical heads share one TF-IDF vocabulary fitted on the taxonomy-exact rows.
    domain = [i for i, src in enumerate(cols["source"]) if src in SOURCE_WEIGHT]
    vectorizer = _lexical_vectorizer().fit([cols["text"][i] for i in domain]) if domain else None
    lexical_models = {}
    if vectorizer is not None:
        features = vectorizer.transform([cols["text"][i] for i in domain])
        for name, labels in FIELDS.items():
            keep = [j for j, i in enumerate(domain) if cols[name][i] is not None and cols[name][i] in labels]
            if len({cols[name][domain[j]] for j in keep}) >= 2:
                lexical_models[name] = fit_lexical_head(features[keep], [cols[name][domain[j]] for j in keep])
    descriptions = [d for c in CATEGORIES for d in LABEL_DESCRIPTIONS[c]]
    per_label = max(len(v) for v in LABEL_DESCRIPTIONS.values())
    desc_vectors = kb.embedder.encode(descriptions)
    label_vectors = np.zeros((len(CATEGORIES), per_label, desc_vectors.shape[1]), dtype=np.float32)
    i = 0
    for li, c in enumerate(CATEGORIES):
        for j, _ in enumerate(LABEL_DESCRIPTIONS[c]):
            label_vectors[li, j] = desc_vectors[i]
            i += 1
        for j in range(len(LABEL_DESCRIPTIONS[c]), per_label):  # pad with the first description
            label_vectors[li, j] = label_vectors[li, 0]
    heads = TrainedHeads(kb.version, models, label_vectors, kb.embedder.name)
    heads.lexical_models = lexical_models
    heads.lexical_vectorizer = vectorizer
    heads.subcategory_vectors = {
        c: (list(subs), kb.embedder.encode([f"{name.replace('_', ' ')}: {desc}" for name, desc in subs.items()]))
        for c, subs in SUBCATEGORIES.items()
    }
    with _heads_path(kb).open("wb") as fh:
        pickle.dump(heads, fh)
    return heads


def _lexical_vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union

    return make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
    )


def load_heads(kb) -> TrainedHeads:
    """Cached heads for the KB's current version, retrained when the KB changed."""
    path = _heads_path(kb)
    if path.exists():
        try:
            with path.open("rb") as fh:
                heads = pickle.load(fh)
            if (heads.kb_version == kb.version and heads.embedder_name == kb.embedder.name
                    and getattr(heads, "subcategory_vectors", None) and getattr(heads, "lexical_vectorizer", None)):
                return heads
        except Exception:
            pass
    return train_heads(kb)


def knn_vote(hits, field_name: str, labels, temperature: float = KNN_TEMPERATURE) -> dict:
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

    def __init__(self, kb, settings, head_weights: dict | None = None):
        self.kb = kb
        self.settings = settings
        self.head_weights = head_weights or HEAD_WEIGHTS
        self._lock = threading.Lock()
        self.heads = load_heads(kb)
        self.assess("warm-up: first call initialises the encoders")

    def refresh(self) -> None:
        """Retrain the heads if the KB changed (e.g. after add_resolved)."""
        with self._lock:
            if self.heads.kb_version != self.kb.version:
                self.heads = load_heads(self.kb)

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
        lexical = heads.lexical_features(texts) if heads.lexical_vectorizer is not None else None
        out = []
        for i, (vector, hits) in enumerate(zip(vectors, all_hits)):
            fields = {}
            for name, labels in FIELDS.items():
                per_head = {"lr": heads.lr_probs(name, vector), "knn": knn_vote(hits, name, labels),
                            "lexical": heads.lexical_probs(name, lexical[i]) if lexical is not None else {}}
                if name == "category":
                    per_head["zero_shot"] = heads.zero_shot(vector)
                    per_head["lr_domain"] = heads.lr_probs("category_domain", vector)
                fields[name] = FieldEvidence(mix(per_head, self.head_weights[name], labels), per_head)
            out.append(Evidence(fields=fields, hits=hits, vector=vector, heads=heads))
        return out
