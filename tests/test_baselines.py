from dataclasses import replace

import numpy as np
import pytest
import torch

from hashlib_core.baselines import BASELINES, ITQ, KSH, LSH, PCAH, SphericalHashing, make_baseline
from hashlib_core.baselines_chapter import evaluate_baseline
from hashlib_core.gist import _block_means, _prefilter, _symmetric_pad, gabor_bank, gist_descriptors
from hashlib_core.metrics import hamming_map
from hashlib_core.protocols import make_protocol


def _blobs(n=1200, classes=4, dims=16, spread=1.0, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dims)) * 3
    labels = rng.integers(0, classes, n)
    return centres[labels] + spread * rng.normal(size=(n, dims)), labels


@pytest.mark.parametrize("name", list(BASELINES))
def test_every_method_gives_deterministic_binary_codes_of_the_right_shape(name):
    features, labels = _blobs()
    options = {"n_labeled": 300, "n_anchors": 50} if name == "ksh" else {}
    first = make_baseline(name, 12, seed=3, **options).fit(features, labels).encode(features[:50])
    again = make_baseline(name, 12, seed=3, **options).fit(features, labels).encode(features[:50])
    assert first.shape == (50, 12) and first.dtype == np.uint8 and set(np.unique(first)) <= {0, 1}
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize("method", [PCAH, ITQ])
def test_pca_based_bits_are_balanced_on_gaussian_data(method):
    features = np.random.default_rng(0).normal(size=(4000, 32)) @ np.random.default_rng(1).normal(size=(32, 32))
    codes = method(16, seed=0).fit(features).encode(features)
    assert np.abs(codes.mean(axis=0) - 0.5).max() < 0.05


def test_itq_quantization_loss_never_increases():
    features, _ = _blobs(dims=24)
    losses = ITQ(16, seed=0).fit(features).quantization_loss_
    assert len(losses) == 50
    assert all(later <= earlier + 1e-6 for earlier, later in zip(losses, losses[1:]))
    assert losses[-1] < losses[0]


def test_ksh_beats_lsh_on_a_separable_synthetic_set():
    features, labels = _blobs(n=1500, classes=5, dims=20, spread=2.5)
    train, query, database = slice(0, 1000), slice(1000, 1200), slice(0, 1000)
    scores = {}
    for name, model in (("lsh", LSH(16, seed=0)), ("ksh", KSH(16, seed=0, n_labeled=600, n_anchors=100))):
        model.fit(features[train], labels[train])
        scores[name] = hamming_map(model.encode(features[query]), model.encode(features[database]),
                                   labels[query], labels[database])
    assert scores["ksh"] > scores["lsh"] + 0.1


@pytest.mark.parametrize("options", [{"optimizer": "accelerated"}, {"statistics": "all"}, {"normalize": "l2"}])
def test_ksh_variants_learn_codes_that_fit_the_labels(options):
    features, labels = _blobs(n=1500, classes=5, dims=20, spread=2.5)
    model = KSH(16, seed=0, n_labeled=600, n_anchors=100, **options).fit(features[:1000], labels[:1000])
    codes = model.encode(features)
    assert codes.shape == (1500, 16)
    lsh = LSH(16, seed=0).fit(features[:1000])
    ours = hamming_map(codes[1000:1200], codes[:1000], labels[1000:1200], labels[:1000])
    theirs = hamming_map(lsh.encode(features[1000:1200]), lsh.encode(features[:1000]), labels[1000:1200],
                         labels[:1000])
    assert ours > theirs + 0.1


def test_ksh_accelerated_descent_improves_the_smoothed_objective():
    features, labels = _blobs(n=600, classes=4, dims=10, spread=2.0)
    rng = np.random.default_rng(0)
    centred = rng.normal(size=(300, 40))
    residue = 8 * np.where(labels[:300, None] == labels[None, :300], 1.0, -1.0)
    model = KSH(8, optimizer="accelerated", max_iterations=100)
    start = rng.normal(size=40) * 0.1
    refined = model._accelerated_descent(start, centred, residue)
    assert model._smoothed_objective(refined, centred, residue)[0] < model._smoothed_objective(start, centred,
                                                                                               residue)[0]


def test_ksh_refuses_unknown_variants():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        KSH(8, optimizer="adam")


def test_spheres_each_hold_half_of_the_training_points():
    features, _ = _blobs(n=800)
    codes = SphericalHashing(10, seed=0).fit(features).encode(features)
    np.testing.assert_allclose(codes.mean(axis=0), 0.5, atol=0.01)


@pytest.mark.parametrize("call, message", [
    (lambda x, y: PCAH(20).fit(x[:, :8]), "at most 8 bits"),
    (lambda x, y: ITQ(30).fit(x[:12]), "at most 12 bits"),
    (lambda x, y: LSH(8).fit(x[:1]), "at least 2 training samples"),
    (lambda x, y: LSH(8).fit(x).encode(x[:, :5]), "fitted on 16-dimensional"),
    (lambda x, y: LSH(8).encode(x), "not fitted yet"),
    (lambda x, y: KSH(8).fit(x), "supervised: pass labels"),
    (lambda x, y: KSH(8).fit(x, y[:10]), "labels must be"),
    (lambda x, y: LSH(0), "positive integer"),
    (lambda x, y: LSH(4).fit(np.full((5, 3), np.nan)), "finite"),
    (lambda x, y: make_baseline("bre", 8), "unknown baseline 'bre'"),
])
def test_bad_requests_get_a_clear_value_error(call, message):
    features, labels = _blobs(n=100)
    with pytest.raises(ValueError, match=message):
        call(features, labels)


def _reference_gist(image: torch.Tensor, orientations=(8, 8, 8, 8), blocks=4, boundary=32) -> torch.Tensor:
    """LMgist's gistGabor written plainly: full 2-D inverse FFT per filter, then crop."""
    image = 255 * (image - image.min()) / (image.max() - image.min())
    filtered = _symmetric_pad(_prefilter(image[None], 4.0), boundary)
    bank = gabor_bank(orientations, filtered.shape[-1])
    responses = torch.fft.ifft2(torch.fft.fft2(filtered) * bank).abs()
    size = image.shape[-1]
    return _block_means(responses[None, :, boundary:boundary + size, boundary:boundary + size], blocks).reshape(-1)


def test_gist_matches_a_plain_implementation_of_lmgist():
    images = torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    fast = gist_descriptors(images, boundary=32, batch_size=2, filter_group=3)
    for row, image in enumerate(images):
        np.testing.assert_allclose(fast[row], _reference_gist(image.float().mean(0)).numpy(), rtol=2e-3, atol=1e-5)


def test_gist_dimensions_and_invariance_to_brightness_and_contrast():
    images = torch.randint(20, 200, (4, 1, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    assert gist_descriptors(images).shape == (4, 512)
    assert gist_descriptors(images, orientations_per_scale=(8, 8, 4)).shape == (4, 320)
    brighter = (images.float() * 1.2 + 10).round().to(torch.uint8)  # affine change, rescaled away by LMgist
    np.testing.assert_allclose(gist_descriptors(brighter), gist_descriptors(images), rtol=0.05, atol=2e-3)
    assert np.isfinite(gist_descriptors(torch.full((1, 1, 32, 32), 7, dtype=torch.uint8))).all()
    with pytest.raises(ValueError, match="square"):
        gist_descriptors(torch.zeros(1, 1, 32, 20, dtype=torch.uint8))


def test_evaluate_baseline_reports_map_and_timings():
    features, labels = _blobs(n=2000, classes=4)
    is_test = np.arange(2000) >= 1600
    protocol = make_protocol("cnnh", labels, is_test, queries_per_class=20, train_per_class=100,
                             validation_per_class=0)
    row = evaluate_baseline("itq-cca", 8, features, labels, protocol)
    assert row["fit_on"] == "train" and row["fit_samples"] == 400
    assert 0.9 < row["value"] <= 1.0 and 0.9 < row["value_expected_ties"] <= 1.0
    assert row["fit_seconds"] >= 0 and row["encode_seconds"] >= 0
    assert evaluate_baseline("lsh", 8, features, labels, protocol)["fit_on"] == "database"


@pytest.mark.parametrize("size, pad", [(32, 16), (28, 32), (5, 12), (4, 0)])
def test_symmetric_padding_matches_numpy_for_any_pad(size, pad):
    images = torch.arange(2 * size * size, dtype=torch.float32).reshape(2, size, size)
    expected = np.pad(images.numpy(), ((0, 0), (pad, pad), (pad, pad)), mode="symmetric")
    np.testing.assert_array_equal(_symmetric_pad(images, pad).numpy(), expected)


def test_gist_with_a_boundary_wider_than_the_image():
    images = torch.randint(0, 256, (2, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(2))
    assert np.isfinite(gist_descriptors(images, boundary=32)).all()


def test_run_validation_smoke_job_reproduces_every_published_cell():
    from hashlib_core.baselines_chapter import run_validation, validation_jobs

    jobs = [replace(job, method_options={"ksh": {"n_labeled": 200, "n_anchors": 50}})
            for job in validation_jobs("smoke")]
    rows, runs = run_validation(jobs, progress=False)
    expected = {(method, bits) for method, per_bits in jobs[0].entry["values"].items() for bits in per_bits}
    assert {(row["method"], row["bits"]) for row in rows} == expected
    assert all(0 <= row["value"] <= 1 and row["dataset"] == "mnist5k" for row in rows)
    assert set(runs["mnist5k"]["stages"]) == {"pixels features", jobs[0].entry["source"]}
    with pytest.raises(ValueError, match="profile must be"):
        validation_jobs("full")
    with pytest.raises(ValueError, match="ValidationJob.feature"):
        replace(jobs[0], feature="gist")


def test_the_baselines_findings_are_written_from_the_rows():
    from hashlib_core.baselines_chapter import findings_text

    def row(source, metric, method, bits, ours, published, full=None, ties=None):
        return {"source": source, "dataset": "cifar10", "metric": metric, "method": method, "bits": bits,
                "ours": ours, "published": published, "difference": ours - published,
                "value_full_ranking": ours if full is None else full,
                "value_expected_ties": ours if ties is None else ties}

    table = [row("T1", "mAP", "lsh", 12, 0.13, 0.12), row("T1", "mAP", "lsh", 48, 0.14, 0.12),
             row("T1", "mAP", "ksh", 12, 0.23, 0.30, ties=0.25),
             row("U1", "mAP@1000", "itq", 16, 0.25, 0.15, full=0.16)]
    sensitivity = [{"dataset": "cifar10", "variant": "a", "bits": 48, "mAP": 0.29, "published": 0.356,
                    "difference": -0.066},
                   {"dataset": "cifar10", "variant": "b", "bits": 48, "mAP": 0.34, "published": 0.356,
                    "difference": -0.016}]
    text = findings_text(table, sensitivity)
    assert "Within 0.03 of the published value at every code length:** LSH on cifar10 (T1; +0.010 to +0.020)" in text
    assert "Further off at some code length:** KSH on cifar10 (T1; -0.070 to -0.070); ITQ" in text
    assert "U1, printed as mAP@1000:** ours at that depth differs from the printed values by +0.100 to +0.100" in text
    assert "behave like mAP over the whole ranking" in text
    assert "at most 0.020 (KSH, T1, 12 bits)" in text
    assert "0.290 to 0.340 across the readings of its setup (best: b, -0.016" in text and "closes the gap" in text
    sensitivity[1]["difference"] = -0.05
    assert "no reading closes the gap" in findings_text(table, sensitivity)
