"""The evidence heads' versioned save/load and the tuning file's evidence section (unit tests on a
tiny in-memory KB; tests/test_evidence.py covers the heads on the real KB)."""
import json
import zlib

import numpy as np
import pytest

from triage.config import EvidenceTuning, TuningFile, load_tuning_file
from triage.heads import CONFIG_NAME, MODELS_NAME, FIELDS, HeadsConfig, TrainedHeads, fit_heads, load_or_fit, taxonomy_text
from triage.schema import CATEGORIES, SENTIMENTS, URGENCIES

WORDS = {"billing": "charged refund invoice", "technical": "crash error bug", "account": "login password locked",
         "feature_request": "please add option", "general": "where order delivery"}


class HashEmbedder:
    """Bag of hashed words, normalised: enough for a linear head to separate the toy rows."""

    name = "hash-embedder"

    def encode(self, texts, threads=None):
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, zlib.crc32(word.encode()) % 64] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


class TinyKB:
    def __init__(self, path, version=1):
        self.path, self.version, self.embedder = path, version, HashEmbedder()
        self.rows = [{"text": f"{WORDS[c]} ticket {i}", "category": c, "urgency": URGENCIES[i % 4],
                      "sentiment": SENTIMENTS[i % 4], "escalation": i % 4 == 0,
                      "source": "curated" if i % 2 else "bitext"} for c in CATEGORIES for i in range(8)]

    def labelled(self, columns):
        cols = {c: [r[c] for r in self.rows] for c in columns}
        return self.embedder.encode(cols["text"]), cols


def test_fitted_heads_predict_every_field_and_category(tmp_path):
    kb = TinyKB(tmp_path)
    heads = fit_heads(kb)
    vector = kb.embedder.encode(["my login password is locked"])[0]
    for name, labels in FIELDS.items():
        probs = heads.lr_probs(name, vector)
        assert set(probs) == set(labels) and abs(sum(probs.values()) - 1) < 1e-6
    assert max(heads.lr_probs("category", vector).items(), key=lambda kv: kv[1])[0] == "account"
    lexical = heads.lexical_features(["where is my order delivery"])
    lexical_probs = heads.lexical_probs("category", lexical[0])
    assert max(lexical_probs, key=lexical_probs.get) == "general"
    assert set(heads.zero_shot(vector)) == set(CATEGORIES)
    assert heads.subcategory("account", vector)[0] in taxonomy_text()["subcategories"]["account"]


def test_saved_heads_are_reused_only_while_their_config_matches(tmp_path):
    kb = TinyKB(tmp_path)
    first = load_or_fit(kb)
    saved = json.loads((tmp_path / CONFIG_NAME).read_text())
    assert saved["kb_version"] == 1 and saved["format"] == first.config.format
    assert TrainedHeads.load(tmp_path, HeadsConfig.for_kb(kb)) is not None
    kb.version = 2  # a correction was added: the saved heads are stale
    assert TrainedHeads.load(tmp_path, HeadsConfig.for_kb(kb)) is None
    refitted = load_or_fit(kb)
    assert refitted.kb_version == 2 and json.loads((tmp_path / CONFIG_NAME).read_text())["kb_version"] == 2
    changed = HeadsConfig(2, kb.embedder.name, "another taxonomy text")
    assert TrainedHeads.load(tmp_path, changed) is None


def test_unreadable_saved_heads_are_refitted_not_fatal(tmp_path):
    kb = TinyKB(tmp_path)
    load_or_fit(kb)
    (tmp_path / MODELS_NAME).write_bytes(b"not a pickle")
    assert TrainedHeads.load(tmp_path, HeadsConfig.for_kb(kb)) is None
    heads = load_or_fit(kb)
    assert heads.kb_version == 1 and TrainedHeads.load(tmp_path, HeadsConfig.for_kb(kb)) is not None


def test_tuning_file_evidence_section_is_validated(tmp_path):
    path = tmp_path / "tuning.json"
    assert load_tuning_file(path) == TuningFile()  # no file: defaults
    path.write_text(json.dumps({"evidence": {"head_weights": {"category": {"lr": 1.0}}}}))
    with pytest.raises(ValueError, match="no entry for escalation, sentiment, urgency"):
        load_tuning_file(path)
    path.write_text(json.dumps({"evidence": {"knn_temperature": 0}}))
    with pytest.raises(ValueError, match="knn_temperature"):
        load_tuning_file(path)
    weights = EvidenceTuning().head_weights | {"urgency": {"lexical": 1.0}}
    path.write_text(TuningFile(evidence=EvidenceTuning(head_weights=weights)).model_dump_json())
    assert load_tuning_file(path).evidence.head_weights["urgency"] == {"lexical": 1.0}


def test_shipped_tuning_file_loads():
    tuning = load_tuning_file()
    assert set(tuning.evidence.head_weights) == set(FIELDS)
