"""Li & Li: the small Inception backbone (Zhang et al. 2017) under DLBHC's latent-layer head."""

import pytest
import torch

from hashlib_core.nets.inception import DownsampleBlock, InceptionBlock, lili_inception, small_inception


def test_the_small_inception_has_zhang_et_al_s_size():
    features, pooled = small_inception(3)
    assert pooled == 336  # Inception(176, 160)
    # Zhang et al. quote 1,649,402 parameters with the 10-way output layer (336 x 10 + 10 = 3,370 of them)
    assert sum(parameter.numel() for parameter in features.parameters()) + 3370 == pytest.approx(1_649_402, rel=0.002)


def test_blocks_concatenate_their_branches():
    inputs = torch.rand(2, 8, 16, 16)
    assert InceptionBlock(8, 3, 5)(inputs).shape == (2, 8, 16, 16)
    assert DownsampleBlock(8, 4)(inputs).shape == (2, 12, 8, 8)


@pytest.mark.parametrize("channels, size", [(3, 32), (1, 28)])
def test_the_latent_layer_sits_between_f4_and_f5(channels, size):
    network = lili_inception(48, 10, channels=channels, width=0.25, f4_dim=64)
    outputs = network.eval().forward_all(torch.rand(3, channels, size, size))
    assert outputs["f7"].shape == (3, 64) and outputs["latent"].shape == (3, 48) and outputs["scores"].shape == (3, 10)
    assert torch.all((outputs["latent"] > 0) & (outputs["latent"] < 1))
    with pytest.raises(ValueError, match="width must be positive"):
        small_inception(3, 0)


def test_li_and_li_trains_through_dlbhc_s_stages_on_the_inception_backbone(tmp_path, monkeypatch):
    from dataclasses import replace

    import numpy as np

    from hashlib_core.data import ImageDataset
    from hashlib_core.experiment import run_method
    from hashlib_core.methods import LiLi
    from hashlib_core.methods.dlbhc import Backbone
    from hashlib_core.settings import Recipe

    monkeypatch.setenv("HASHING_BOOK_CACHE", str(tmp_path))
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(120) % 3
    images = (torch.rand(120, 1, 12, 12, generator=generator) * 60).to(torch.uint8)
    for label in range(3):  # a bright square whose place tells the class
        images[labels == label, :, 4 * label:4 * label + 4, 2:6] = 250
    is_test = torch.zeros(120, dtype=torch.bool)
    is_test[90:] = True
    dataset = ImageDataset("toy", images, labels, is_test, ["a", "b", "c"], "toy", "toy-lili")
    method = LiLi()
    settings = replace(method.plan("smoke")["mnist5k"], code_lengths=(8,), baselines=(),
                       backbone=Backbone("inception-small", width=8, f7_dim=16), protocol_options={"n_queries": 20},
                       pretrain=Recipe(epochs=3, lr=1e-2, padding=0, flip=False, batch_size=30),
                       recipe=Recipe(epochs=2, lr=1e-2, padding=0, flip=False, batch_size=30))
    run = run_method(method, dataset, settings, progress=False, workers=1)
    assert [entry["stage"] for entry in run.pretrained.history] == ["pretrain"] * 3
    assert run.networks[8].model.name == "inception-small-w0.0833333-f16"
    assert run.outputs[8]["latent"].shape == (120, 8) and np.isfinite(run.headline(method.name, 8))


def test_the_grown_database_keeps_the_real_items_first_and_perturbs_copies():
    import numpy as np

    from hashlib_core.codes import pack, unpack
    from hashlib_core.studies.lili import grown_database

    rng = np.random.default_rng(0)
    codes, features = pack(rng.integers(0, 2, (50, 32), dtype=np.uint8)), rng.standard_normal((50, 8)).astype(np.float32)
    grown_codes, grown_features = grown_database(codes, features, 400, flip=0.05, noise=0.1, seed=1)
    assert len(grown_codes) == 400 and grown_features.shape == (400, 8)
    assert np.array_equal(unpack(grown_codes)[:50], unpack(codes)) and np.array_equal(grown_features[:50], features)
    flipped = np.mean([np.min(np.sum(unpack(codes) != row, axis=1)) for row in unpack(grown_codes)[50:]])
    assert 0.5 < flipped < 3.5  # about 5 % of 32 bits from its source
    assert (grown_features >= features.min(axis=0)).all()  # never below a dimension's smallest real value
    with pytest.raises(ValueError, match="size >="):
        grown_database(codes, features, 10)


def test_copies_take_their_codes_from_the_network_s_hash_layer():
    import numpy as np

    from hashlib_core.codes import pack, unpack
    from hashlib_core.studies.lili import grown_database

    rng = np.random.default_rng(1)
    features = np.abs(rng.standard_normal((60, 12))).astype(np.float32)
    weights = rng.standard_normal((12, 16)).astype(np.float32)

    def encode(rows):
        return pack((rows @ weights > 0).astype(np.uint8))

    grown_codes, grown_features = grown_database(encode(features), features, 300, noise=0.05, seed=2, encode=encode)
    np.testing.assert_array_equal(unpack(grown_codes), unpack(encode(grown_features)))  # code = H(features)
    same_codes, same_features = grown_database(encode(features), features, 60, encode=encode)  # no copies needed
    assert len(same_codes) == 60 and np.array_equal(same_features, features)
    with pytest.raises(ValueError, match="one 16-bit code per feature row"):
        grown_database(encode(features), features, 300, encode=lambda rows: encode(rows[:5]))


def test_two_step_search_with_the_whole_database_as_pool_is_linear_search():
    import numpy as np

    from hashlib_core.codes import pack
    from hashlib_core.studies.lili import search_times

    rng = np.random.default_rng(2)
    features = rng.standard_normal((300, 16)).astype(np.float32)
    codes = pack((features[:, :12] > 0).astype(np.uint8))
    whole = search_times(codes[:20], features[:20], codes, features, pool=300, k=10)
    assert whole["recall@10"] == pytest.approx(1.0) and whole["recall@10 (pool with its ties)"] == pytest.approx(1.0)
    small = search_times(codes[:20], features[:20], codes, features, pool=20, k=10)
    assert small["recall@10"] < 1.0 and small["two-step s/query"] > 0 and small["speed-up over numpy"] > 0
    # the pool with its ties holds at least the pool and never recalls less than the first 20 in index order
    assert small["items as close as the pool"] >= 20
    assert small["recall@10 (pool with its ties)"] >= small["recall@10"]
    assert small["speed-up (pool with its ties) over numpy"] > 0 and small["two-step index build s"] > 0


def test_the_target_and_timing_sentences_quote_the_runs_numbers():
    from types import SimpleNamespace

    import numpy as np

    from hashlib_core.studies.lili import targets_text, timing_text

    def run(precision, accuracy):
        report = SimpleNamespace(ks=(10, 1000), precision_at_k=np.array([0.99, precision]))
        return SimpleNamespace(method=SimpleNamespace(name="Li & Li (one-step)"),
                               settings=SimpleNamespace(code_lengths=(12, 48)), accuracy={12: 0.8, 48: accuracy},
                               reports={("Li & Li (one-step)", 48): report})

    text = targets_text({"mnist": run(0.985, 0.99), "cifar10": run(0.70, 0.88)})
    assert "mnist, precision of the top 1,000 at 48 bits: 0.985 against the target 0.982: **met**" in text
    assert "cifar10, precision of the top 1,000 at 48 bits: 0.700 against the target 0.710: **not met**" in text
    assert "cifar10, test accuracy with the latent layer (h = 48): 0.880 against the target 0.875: **met**" in text
    assert "mnist, test accuracy" not in text  # the paper gives MNIST's error, the book sets no accuracy target
    assert targets_text({"mnist5k": run(0.5, 0.5)}).startswith("No target for mnist5k")

    def row(size, pool, speed, recall, tied_speed, tied_recall):
        return {"database": size, "bits": 32, "pool": pool, "speed-up over numpy": speed,
                "speed-up over faiss": speed / 2, "recall@100": recall, "speed-up (pool with its ties) over numpy":
                tied_speed, "speed-up (pool with its ties) over faiss": tied_speed / 2,
                "recall@100 (pool with its ties)": tied_recall, "items as close as the pool": 4000.0}

    rows = [row(10_000, 1000, 3.0, 0.99, 1.0, 1.0), row(1_000_000, 100, 90.0, 0.6, 12.0, 0.9),
            row(1_000_000, 1000, 50.0, 0.97, 8.0, 0.99)]
    sentence = timing_text(rows)
    assert sentence.startswith("At 1,000,000 items (32 bits), two-step search with the first 100 codes in index "
                               "order: 90.0x (numpy) and 45.0x (faiss) as fast as linear search, recall@100 0.600; "
                               "with the pool with its ties: 12.0x (numpy) and 6.0x (faiss)")
    assert "recall@100 0.970" in sentence and "(on average 4,000 candidates)" in sentence
    assert sentence.endswith("**met** (the first 1,000 codes in index order).")
    assert "on average 4,000 database items are as close to a query as its 1,000th nearest code" in sentence
    assert "about 25% of the candidates" in sentence
    rows[-1].update({"queries": 1000, "two-step s (all queries)": 0.5, "linear (numpy) s (all queries)": 25.0,
                     "feature extraction s/query": 0.002, "two-step, pool with its ties s (all queries)": 3.0})
    assert "(pool 1,000): two-step 0.50 s, with its ties 3.00 s, linear (numpy) 25.00 s" in timing_text(rows)
    assert "2.00 ms per image" in timing_text(rows)
    rows[-1]["speed-up over faiss"] = 19.0
    assert timing_text(rows).endswith("**not met**.")
    rows[-1].update({"speed-up (pool with its ties) over numpy": 40.0, "speed-up (pool with its ties) over faiss": 21.0})
    assert timing_text(rows).endswith("**met** (the pool with its ties).")


def test_chapter_rows_name_the_two_step_rows_and_put_the_cpu_time_under_the_timed_dataset():
    from types import SimpleNamespace

    from hashlib_core.studies.lili import chapter_rows

    runs = {"mnist": SimpleNamespace(method=SimpleNamespace(name="Li & Li (one-step)")),
            "cifar10": SimpleNamespace(method=SimpleNamespace(name="Li & Li (one-step)"))}
    summary = [{"search": "BCS (Hamming)", "kind": "BCS", "pool size": 1000, "mAP@1000": 0.5, "precision@10": 0.6,
                "ms per query": 0.1},
               {"search": "HDS (pool 100)", "kind": "HDS", "pool size": 100, "mAP@1000": None, "precision@10": 0.7,
                "ms per query": 0.2}]
    comparisons = {name: {48: {"summary": summary, "radius": []}} for name in runs}
    classification = [{"dataset": "cifar10", "model": "h=48", "source": "ours", "test error (%)": 16.6}]
    times = [{"dataset": "cifar10", "database": 1000, "bits": 32, "pool": 100, "queries": 10, "one-step s/query": 1e-5}]
    extra = chapter_rows(runs, classification, comparisons, times, "cifar10")
    assert {row["method"] for row in extra["mnist"]} == {"Li & Li (one-step)", "Li & Li (two-step)"}
    assert {"name": "test error (%)", "method": "h=48", "source": "ours", "value": 16.6} in extra["cifar10"]
    cpu = [row for row in extra["cifar10"] if row["name"].startswith("cpu time")]
    assert cpu == [{"name": "cpu time: one-step s/query", "method": "Li & Li", "bits": 32, "value": 1e-5,
                    "database": 1000, "pool": 100}]
    assert not any(row["name"].startswith("cpu time") for row in extra["mnist"])


def test_the_imagenet_stand_in_runs_beside_the_paper_profile_at_h_48():
    from hashlib_core.methods.lili import LiLi

    method = LiLi()
    assert method.imagenet_companion("paper") == "lite0" and method.imagenet_companion("smoke") == ""
    settings = method.plan("lite0")["cifar10"]
    assert settings.backbone.name == "efficientnet-lite0" and settings.code_lengths == (48,)
    assert settings.protocol == method.plan("paper")["cifar10"].protocol and settings.map_depth is None


