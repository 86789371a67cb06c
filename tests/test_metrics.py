import pytest

from scripts.metrics import binary_metrics, by_group, classification_metrics, percentile, review_metrics


def test_classification_metrics_match_hand_computed_values():
    truth = ["a", "a", "a", "b", "b", "c"]
    guess = ["a", "a", "b", "b", "c", "c"]
    m = classification_metrics(truth, guess)
    assert m["accuracy"] == pytest.approx(4 / 6)
    # a: P 2/2, R 2/3, F1 0.8 ; b: P 1/2, R 1/2, F1 0.5 ; c: P 1/2, R 1/1, F1 2/3
    assert m["per_class"]["a"] == pytest.approx({"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3})
    assert m["per_class"]["b"]["f1"] == pytest.approx(0.5)
    assert m["per_class"]["c"]["recall"] == pytest.approx(1.0)
    assert m["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert m["confusion"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_binary_metrics_recall_precision():
    m = binary_metrics([True, True, True, False, False], [True, False, True, True, False])
    assert (m["tp"], m["fp"], m["fn"]) == (2, 1, 1)
    assert m["recall"] == pytest.approx(2 / 3) and m["precision"] == pytest.approx(2 / 3)
    assert binary_metrics([False], [False])["recall"] is None


def test_groups_review_and_percentiles():
    g = by_group(["en", "de", "en"], ["x", "y", "x"], ["x", "x", "y"])
    assert g == {"de": {"n": 1, "accuracy": 0.0}, "en": {"n": 2, "accuracy": 0.5}}
    r = review_metrics([True, False, False, False], ["a", "a", "b", "c"], ["b", "a", "b", "a"])
    assert r["review_rate"] == 0.25 and r["accuracy_not_flagged"] == pytest.approx(2 / 3)
    assert percentile([1, 2, 3, 4], 0.5) == pytest.approx(2.5)
