"""The trained evidence heads: fit on the KB's labelled rows, predict per label, save and load
with a versioned config (as setfit saves a head beside its config).

- `lr` / `lr_domain`: logistic regression on the KB embeddings (all rows / our own
  taxonomy-exact rows only).
- `lexical`: TF-IDF (character 2-5-grams + words) logistic regression on the taxonomy-exact rows;
  catches keywords the sentence embeddings blur, in any language.
- `zero_shot` and subcategories: similarity to the taxonomy text in triage/data/taxonomy.json.

`load_or_fit(kb)` reuses the saved heads only when their config matches the KB version, the
embedder, the taxonomy text and this module's format; otherwise it refits them."""
from __future__ import annotations

import hashlib
import json
import logging
import pickle
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from triage.schema import CATEGORIES, SENTIMENTS, URGENCIES

log = logging.getLogger(__name__)

HEADS_FORMAT = 2  # bump when the saved layout or the fitting recipe changes
FIELDS = {"category": CATEGORIES, "urgency": URGENCIES, "sentiment": SENTIMENTS, "escalation": (False, True)}
TAXONOMY_FILE = Path(__file__).resolve().parent / "data" / "taxonomy.json"
CONFIG_NAME, MODELS_NAME = "evidence_heads.json", "evidence_heads.pkl"


@lru_cache(maxsize=None)
def taxonomy_text(path: Path = TAXONOMY_FILE) -> dict:
    """{"label_descriptions": {category: [text, ...]}, "subcategories": {category: {name: text}}}."""
    with Path(path).open(encoding="utf-8") as fh:
        doc = json.load(fh)
    missing = [c for c in CATEGORIES if c not in doc["label_descriptions"] or c not in doc["subcategories"]]
    if missing:
        raise ValueError(f"{path}: no description or subcategories for {', '.join(missing)}")
    return {"label_descriptions": doc["label_descriptions"], "subcategories": doc["subcategories"]}


@dataclass(frozen=True)
class HeadsConfig:
    """What the saved heads were fitted from; a mismatch with the current one means refit."""

    kb_version: int
    embedder_name: str
    taxonomy_sha1: str
    # Rows from our own seed sets (curated and real-register) and from user corrections describe the
    # taxonomy exactly; the public sets are off-domain, so they count less in training.
    source_weights: dict = field(default_factory=lambda: {"curated": 6.0, "realstyle": 6.0, "feedback": 6.0})
    default_source_weight: float = 1.0
    vector_c: float = 2.0
    lexical_c: float = 10.0
    format: int = HEADS_FORMAT

    @classmethod
    def for_kb(cls, kb) -> "HeadsConfig":
        text = json.dumps(taxonomy_text(), sort_keys=True).encode("utf-8")
        return cls(kb.version, kb.embedder.name, hashlib.sha1(text).hexdigest())


@dataclass
class TrainedHeads:
    """Every fitted part, set at construction."""

    config: HeadsConfig
    vector_models: dict  # field (and "category_domain") -> LogisticRegression on embeddings
    lexical_vectorizer: object | None  # TF-IDF union, None when there are no taxonomy-exact rows
    lexical_models: dict  # field -> LogisticRegression on TF-IDF features
    label_vectors: np.ndarray  # (categories, descriptions per category, dim)
    subcategory_vectors: dict  # category -> (names, (n, dim) vectors)

    @property
    def kb_version(self) -> int:
        return self.config.kb_version

    def lr_probs(self, field_name: str, vector: np.ndarray) -> dict:
        model = self.vector_models.get(field_name)
        if model is None:
            return {}
        return _probs(model, model.predict_proba(vector.reshape(1, -1))[0])

    def lexical_features(self, texts: list[str]):
        return self.lexical_vectorizer.transform(texts) if self.lexical_vectorizer is not None else None

    def lexical_probs(self, field_name: str, features) -> dict:
        """features: one row of lexical_features()."""
        model = self.lexical_models.get(field_name)
        if model is None or features is None:
            return {}
        return _probs(model, model.predict_proba(features)[0])

    def zero_shot(self, vector: np.ndarray, temperature: float = 0.02) -> dict:
        best = (self.label_vectors @ vector).max(axis=1)  # best description per category
        e = np.exp((best - best.max()) / temperature)
        return {c: float(v) for c, v in zip(CATEGORIES, e / e.sum())}

    def subcategory(self, category: str, vector: np.ndarray) -> tuple[str, float]:
        names, vecs = self.subcategory_vectors.get(category, ([], None))
        if not names:
            return "other", 0.0
        sims = vecs @ vector
        i = int(np.argmax(sims))
        return names[i], float(sims[i])

    def save(self, directory: Path) -> None:
        """The models as a pickle, the config beside them as JSON (written last: it marks a
        complete save)."""
        directory = Path(directory)
        (directory / CONFIG_NAME).unlink(missing_ok=True)
        with (directory / MODELS_NAME).open("wb") as fh:
            pickle.dump(self, fh)
        (directory / CONFIG_NAME).write_text(json.dumps(asdict(self.config), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, expected: HeadsConfig) -> "TrainedHeads | None":
        """The saved heads if their config equals `expected`, else None (and why, in the log)."""
        directory = Path(directory)
        try:
            saved = json.loads((directory / CONFIG_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if saved != asdict(expected):
            changed = sorted(k for k in asdict(expected) if saved.get(k) != asdict(expected)[k])
            log.info("evidence heads are stale (%s changed): refitting", ", ".join(changed))
            return None
        try:
            with (directory / MODELS_NAME).open("rb") as fh:
                heads = pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError) as exc:
            log.warning("evidence heads at %s unreadable (%s): refitting", directory, exc)
            return None
        return heads if isinstance(heads, cls) and heads.config == expected else None


def _probs(model, row) -> dict:
    return {_label(c): float(v) for c, v in zip(model.classes_, row)}


def _label(value):
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    return str(value)


def fit_vector_head(x, y, sample_weight=None, c: float = 2.0):
    """Logistic regression on embeddings (the `lr` and `lr_domain` heads)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=300, class_weight="balanced").fit(x, y, sample_weight=sample_weight)


def fit_lexical_head(features, y, c: float = 10.0):
    """Logistic regression on the TF-IDF features of lexical_vectorizer() (the `lexical` head)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(features, y)


def lexical_vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union

    return make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
    )


def fit_heads(kb, config: HeadsConfig | None = None) -> TrainedHeads:
    """Fit every head on the KB's labelled rows."""
    config = config or HeadsConfig.for_kb(kb)
    vectors, cols = kb.labelled(("category", "urgency", "sentiment", "escalation", "source", "text"))
    own = [i for i, src in enumerate(cols["source"]) if src in config.source_weights]
    taxonomy = taxonomy_text()
    vectorizer, lexical = _fit_lexical(cols, own, config)
    return TrainedHeads(
        config=config,
        vector_models=_fit_vector_models(vectors, cols, own, config),
        lexical_vectorizer=vectorizer,
        lexical_models=lexical,
        label_vectors=_label_vectors(kb.embedder, taxonomy["label_descriptions"]),
        subcategory_vectors={
            c: (list(subs), kb.embedder.encode([f"{name.replace('_', ' ')}: {desc}" for name, desc in subs.items()]))
            for c, subs in taxonomy["subcategories"].items()
        },
    )


def _labelled_rows(values: list, labels, among) -> list[int]:
    return [i for i in among if values[i] is not None and values[i] in labels]


def _fit_vector_models(vectors, cols, own: list[int], config: HeadsConfig) -> dict:
    weights = np.array([config.source_weights.get(s, config.default_source_weight) for s in cols["source"]])
    models = {}
    for name, labels in FIELDS.items():
        rows = _labelled_rows(cols[name], labels, range(len(cols[name])))
        if len({cols[name][i] for i in rows}) >= 2:
            models[name] = fit_vector_head(vectors[rows], [cols[name][i] for i in rows], weights[rows], config.vector_c)
    # An in-domain category head: only our own taxonomy-exact rows (seed sets + corrections).
    domain = _labelled_rows(cols["category"], CATEGORIES, own)
    if len({cols["category"][i] for i in domain}) >= 2:
        models["category_domain"] = fit_vector_head(vectors[domain], [cols["category"][i] for i in domain],
                                                    c=config.vector_c)
    return models


def _fit_lexical(cols, own: list[int], config: HeadsConfig) -> tuple[object | None, dict]:
    """One TF-IDF vocabulary fitted on the taxonomy-exact rows, one model per field on it."""
    if not own:
        return None, {}
    vectorizer = lexical_vectorizer().fit([cols["text"][i] for i in own])
    models = {}
    for name, labels in FIELDS.items():
        rows = _labelled_rows(cols[name], labels, own)
        if len({cols[name][i] for i in rows}) >= 2:
            features = vectorizer.transform([cols["text"][i] for i in rows])
            models[name] = fit_lexical_head(features, [cols[name][i] for i in rows], config.lexical_c)
    return vectorizer, models


def _label_vectors(embedder, descriptions: dict) -> np.ndarray:
    """(categories, descriptions per category, dim); a category with fewer descriptions is padded
    with its first one."""
    per_label = max(len(descriptions[c]) for c in CATEGORIES)
    encoded = np.asarray(embedder.encode([d for c in CATEGORIES for d in descriptions[c]]), dtype=np.float32)
    vectors = np.zeros((len(CATEGORIES), per_label, encoded.shape[1]), dtype=np.float32)
    start = 0
    for i, c in enumerate(CATEGORIES):
        n = len(descriptions[c])
        vectors[i, :n] = encoded[start:start + n]
        vectors[i, n:] = encoded[start]
        start += n
    return vectors


def load_or_fit(kb) -> TrainedHeads:
    """The saved heads for the KB's current state, refitted (and saved) when anything changed."""
    config = HeadsConfig.for_kb(kb)
    heads = TrainedHeads.load(Path(kb.path), config)
    if heads is None:
        heads = fit_heads(kb, config)
        heads.save(Path(kb.path))
    return heads
