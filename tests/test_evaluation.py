import numpy as np
import pytest

from hashlib_core.evaluation import feature_report, hamming_report
from hashlib_core.metrics import hamming_map, precision_at_k, relevance_matrix, average_precision
from hashlib_core.search import feature_rank


def _data(seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, 300)
    prototypes = rng.integers(0, 2, (4, 16), dtype=np.uint8)
    codes = prototypes[labels] ^ (rng.random((300, 16)) < 0.15).astype(np.uint8)
    features = prototypes[labels] + rng.normal(scale=0.6, size=(300, 16))
    return codes, features, labels


def test_hamming_report_gathers_the_metrics_module_numbers():
    codes, _, labels = _data()
    report = hamming_report(codes[:40], codes[40:], labels[:40], labels[40:], ks=(1, 10, 100, 5000))
    assert report.map == pytest.approx(hamming_map(codes[:40], codes[40:], labels[:40], labels[40:]))
    assert report.ks.tolist() == [1, 10, 100]  # k beyond the 260-item database is dropped
    assert report.precision_within_radius == pytest.approx(report.radius_curve.precision[2])
    names = [row["name"] for row in report.rows("cnnbh", 16)]
    assert names[:3] == ["mAP", "mAP (expected ties)", "precision within radius 2"] and "precision@100" in names


def test_feature_report_matches_a_direct_computation_and_is_chunk_independent():
    _, features, labels = _data(1)
    ranking, _ = feature_rank(features[:30], features[30:])
    relevant = np.take_along_axis(relevance_matrix(labels[:30], labels[30:]), ranking, 1)
    for chunk in (7, 100):
        report = feature_report(features[:30], features[30:], labels[:30], labels[30:], ks=(5, 50), chunk_size=chunk)
        assert report.map == pytest.approx(average_precision(relevant).mean())
        np.testing.assert_allclose(report.precision_at_k, precision_at_k(relevant, [5, 50]))
    assert report.rows("L2_fc")[0] == {"name": "mAP", "method": "L2_fc", "bits": None, "value": report.map}


def test_reports_refuse_ks_that_all_exceed_the_database():
    codes, _, labels = _data()
    with pytest.raises(ValueError, match="exceeds the database size"):
        hamming_report(codes[:5], codes[5:10], labels[:5], labels[5:10], ks=(50,))
