"""`make train` end to end on a tiny slice, and the GGUF -> transformers -> GGUF round trip
(real models, real llama.cpp converter; the Makefile fetches the converter before the tests)."""
import json
import subprocess

import pytest

from scripts.train import CONVERTER_DIR

pytestmark = pytest.mark.skipif(not (CONVERTER_DIR / "convert_hf_to_gguf.py").is_file(),
                                reason="llama.cpp's converter is missing: run `make converter`")


def test_train_on_a_tiny_slice_writes_a_gguf_that_classifies_under_outlines(tmp_path, python_exe, project_env):
    out = tmp_path / "trained"
    run = subprocess.run([python_exe, "-m", "scripts.train", "--limit", "12", "--epochs", "1", "--batch-size", "4",
                          "--dev-limit", "4", "--public", "4", "--max-minutes", "5", "--encoder-epochs", "1",
                          "--out", str(out)],
                         capture_output=True, text=True, env=project_env, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    card = json.loads((out / "triage.json").read_text())
    assert card["steps"] == 3 and card["stopped_by"] == "finished"
    assert set(card["temperatures"]) == {"category", "urgency", "sentiment", "escalation"}
    assert card["dev_per_epoch"] and (out / "training.png").is_file()

    from models.llamacpp import LlamaCppLLM
    from triage.tuned import TunedClassifier, TunedVoter

    llm = LlamaCppLLM(out / "triage.gguf", n_threads=2)
    record, stats = TunedClassifier(llm).classify("I was charged twice for my subscription this month.")
    assert record.primary_category in ("billing", "technical", "account", "feature_request", "general")
    assert stats.llm_calls == 5 and record.summary
    vote = TunedVoter(llm, card["temperatures"]).vote("The app crashes every time I open settings.")
    assert all(abs(sum(p.values()) - 1) < 1e-6 for p in vote.probs.values())

    from models.encoder_classifier import EncoderClassifier

    encoder_card = json.loads((out / "encoder" / "encoder.json").read_text())
    assert encoder_card["rows"] == 12 and len(encoder_card["loss_per_epoch"]) == 1
    probs = EncoderClassifier.load(out / "encoder").predict_proba(["My card was charged twice."])[0]
    assert set(probs) == {"category", "urgency", "sentiment", "escalation"}
    assert set(probs["escalation"]) == {False, True} and abs(sum(probs["category"].values()) - 1) < 1e-6


def test_untrained_round_trip_keeps_the_models_greedy_answers(tmp_path):
    from models.finetune import convert_to_gguf, load_from_gguf, quantize, save_hf
    from models.llamacpp import LlamaCppLLM
    from models.registry import resolve_model_path

    original = resolve_model_path("smollm2", tmp_path)
    model, tokenizer = load_from_gguf(original)
    save_hf(model, tokenizer, tmp_path / "hf")
    convert_to_gguf(tmp_path / "hf", tmp_path / "bf16.gguf", CONVERTER_DIR)
    quantize(tmp_path / "bf16.gguf", tmp_path / "q8.gguf", "q8_0")
    before, after = LlamaCppLLM(original, n_threads=2), LlamaCppLLM(tmp_path / "q8.gguf", n_threads=2)
    for text in ("My invoice shows a charge I do not recognise.", "How do I export my data?"):
        prompt = before.render_chat("You are a support agent.", text)
        assert after.render_chat("You are a support agent.", text) == prompt  # the chat template survived
        greedy = [("".join(m.stream_text(prompt, 12, temperature=0.0, repeat_penalty=1.0))) for m in (before, after)]
        assert greedy[0] == greedy[1]
