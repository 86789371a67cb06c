"""The seams other features build on: model registry, backend base class, labeler registry,
the wiring factory and the one batch loop."""
import pytest

from models.base import StructuredLLM
from models.locate import ModelNotFoundError
from models.registry import AUTO, FALLBACK, MODELS, TRAINED, resolve_model_path, resolve_name, trained_model_path
from tests.fakes import FakeLLM
from triage.config import Settings
from triage.labelers import LABELERS, MODES, Labeler
from triage.wiring import build_triager, run_in_batches


def test_auto_model_is_the_trained_one_only_when_it_exists(tmp_path):
    assert resolve_name(AUTO, tmp_path) == FALLBACK
    with pytest.raises(ModelNotFoundError, match="make train"):
        resolve_model_path(TRAINED, tmp_path)
    path = trained_model_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"GGUF" + b"\0" * 16)
    assert resolve_name(AUTO, tmp_path) == TRAINED
    assert resolve_model_path(AUTO, tmp_path) == path
    assert resolve_name("smollm2", tmp_path) == "smollm2"


def test_every_registered_model_is_described_and_paths_are_checked(tmp_path):
    assert {"smollm2", "gemma3-270m", TRAINED} <= set(MODELS)
    assert all(spec.description for spec in MODELS.values())
    not_gguf = tmp_path / "weights.bin"
    not_gguf.write_bytes(b"PK\x03\x04")
    with pytest.raises(ModelNotFoundError, match="GGUF header"):
        resolve_model_path(str(not_gguf), tmp_path)


def test_fake_backend_is_a_structured_llm_told_its_field():
    llm = FakeLLM(answers={"sentiment": '"angry"'})
    assert isinstance(llm, StructuredLLM)
    triager = build_triager(Settings(), mode="llm", llm=llm)
    result = triager.run("This is the third time the export fails, fix it now!!")
    assert result.classification.sentiment == "angry"
    assert result.decisions["sentiment"].source == "llm"


def test_one_labeler_registry_feeds_every_mode():
    assert MODES == tuple(LABELERS) and set(MODES) == {"llm", "evidence", "hybrid"}
    assert all(issubclass(cls, Labeler) and cls.name == name for name, cls in LABELERS.items())
    with pytest.raises(ValueError, match="must be one of"):
        build_triager(Settings(), mode="telepathy", llm=FakeLLM())


def test_batch_loop_keeps_rows_and_results_aligned():
    triager = build_triager(Settings(), mode="llm", llm=FakeLLM())
    tickets = [f"ticket {i}: the invoice total is wrong" for i in range(7)] + ["   "]
    seen = []
    for chunk, results in run_in_batches(triager, tickets, batch_size=3):
        assert len(chunk) == len(results)
        seen += list(zip(chunk, results))
    assert [t for t, _ in seen] == tickets
    assert isinstance(seen[-1][1], Exception)  # the empty ticket, reported, not raised
    assert all(r.masked_text.startswith(t[:8]) for t, r in seen[:-1])


def test_triager_in_background_reports_a_failed_load_first_to_on_failure(tmp_path):
    from triage.config import Settings
    from triage.wiring import TriagerInBackground

    with pytest.raises(ValueError, match="Unknown mode"):
        TriagerInBackground(Settings(), mode="nonsense")
    seen = []
    loading = TriagerInBackground(Settings(model=str(tmp_path / "missing.gguf")), mode="llm",
                                  on_failure=seen.append).start()
    with pytest.raises(Exception, match="missing.gguf"):
        loading.get(timeout=60)
    assert loading.ready and len(seen) == 1 and "missing.gguf" in str(seen[0])
    with pytest.raises(Exception, match="missing.gguf"):
        loading.run("a ticket")  # every use of the triager says why it is not there
