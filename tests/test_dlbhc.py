from dataclasses import replace

import numpy as np
import pytest
import torch

from hashlib_core.codes import unpack
from hashlib_core.data import ImageDataset
from hashlib_core.experiment import encode_layers, pretrain, run_method, train_network
from hashlib_core.methods import DLBHC
from hashlib_core.methods.dlbhc import PROFILES, Backbone
from hashlib_core.metrics import precision_at_k, ranked_list_relevance
from hashlib_core.protocols import protocol_for
from hashlib_core.settings import BaselineRun
from hashlib_core.studies.dlbhc import classification_rows, search_comparison, search_rows

METHOD = DLBHC()
SMOKE = PROFILES["smoke"]["mnist5k"]
TINY = replace(SMOKE, backbone=Backbone("small", width=4, f7_dim=16),
               pretrain=replace(SMOKE.pretrain, epochs=1, batch_size=10),
               recipe=replace(SMOKE.recipe, epochs=1, batch_size=10))


def _fake(shape, classes=10):
    n = 4 * classes
    images = torch.randint(0, 256, (n, *shape), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    return ImageDataset("fake", images, torch.arange(n) % classes, torch.arange(n) >= n // 2,
                        [str(c) for c in range(classes)], "test", "0" * 64)


def test_profiles_use_the_papers_code_lengths_and_pretrain_the_cpu_backbone_only():
    for name in ("mnist", "cifar10"):
        paper = PROFILES["paper"][name]
        assert {12, 32, 48, 128} <= set(paper.code_lengths)
        assert paper.backbone.name == "small" and paper.pretrain is not None
        assert PROFILES["alexnet"][name].backbone == Backbone("alexnet", pretrained=True)
        assert PROFILES["alexnet"][name].pretrain is None  # ImageNet weights are the pre-training
        assert paper.map_depth == 1000 and paper.extra_query_sets == {"all test queries": {"n_queries": None}}
    assert not PROFILES["paper"]["mnist"].recipe.flip  # digits are not mirrored
    assert PROFILES["paper"]["cifar10"].recipe.lr_scales == (("stem", 0.1),)  # benchmarks/dlbhc_finetune_recipe.py


def test_plan_overrides_the_finetuning_epochs_and_leaves_profiles_alone():
    plan = METHOD.plan("paper", ["mnist"], [16], 1)
    assert plan["mnist"].code_lengths == (16,)
    assert plan["mnist"].recipe == replace(PROFILES["paper"]["mnist"].recipe, epochs=1)
    assert plan["mnist"].pretrain == PROFILES["paper"]["mnist"].pretrain
    assert PROFILES["paper"]["mnist"].code_lengths != (16,)


def test_a_mistyped_backbone_fails_when_the_settings_are_built():
    with pytest.raises(ValueError, match="Backbone.name must be"):
        Backbone("resnet")
    with pytest.raises(TypeError, match="widht"):
        Backbone("small", widht=8)


def test_build_network_follows_the_image_shape():
    grey = METHOD.build_network(_fake((1, 28, 28)), 48, replace(TINY, backbone=Backbone("small", 8, 32)))
    assert grey.bits == 48 and grey.f7_dim == 32
    assert grey.forward_all(torch.rand(2, 1, 28, 28))["scores"].shape == (2, 10)


def test_finetuning_starts_from_the_pretrained_stem_with_a_new_latent_layer():
    dataset = _fake((1, 28, 28))
    protocol = protocol_for(dataset, "dlbhc", n_queries=5)
    settings = replace(TINY, recipe=replace(TINY.recipe, lr=1e-12))
    pretrained = pretrain(METHOD, dataset, protocol, settings, device="cpu", checkpoints=False, progress=False)
    tuned = train_network(METHOD, dataset, protocol, settings, 12, pretrained=pretrained, device="cpu",
                          checkpoints=False, progress=False)
    stem_before, stem_after = pretrained.model[0].state_dict(), tuned.model.stem.state_dict()
    weights = [key for key in stem_before if key.endswith("weight")]
    assert weights and all(torch.allclose(stem_before[key], stem_after[key], atol=1e-6) for key in weights)
    assert tuned.model.latent[0].out_features == 12


def test_a_stem_learning_rate_scale_slows_the_pretrained_stem_and_keys_its_own_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("HASHING_BOOK_CACHE", str(tmp_path))
    dataset = _fake((1, 28, 28))
    protocol = protocol_for(dataset, "dlbhc", n_queries=5)
    settings = replace(TINY, recipe=replace(TINY.recipe, lr=1e-2))
    pretrained = pretrain(METHOD, dataset, protocol, settings, device="cpu", checkpoints=False, progress=False)
    stem_before = {name: value.clone() for name, value in pretrained.model[0].named_parameters()}

    def stem_change(scale):
        variant = replace(settings, recipe=replace(settings.recipe, lr_scales=(("stem", scale),)))
        tuned = train_network(METHOD, dataset, protocol, variant, 12, pretrained=pretrained, device="cpu",
                              progress=False)
        return max((value.detach() - stem_before[name]).abs().max().item()
                   for name, value in tuned.model.stem.named_parameters())

    assert stem_change(1e-6) < 1e-3 * stem_change(1.0)
    files = sorted(path.name for path in (tmp_path / "checkpoints" / "dlbhc").glob("*.pt"))
    assert len(files) == 2  # a scaled run never resumes from an unscaled run's checkpoint


def test_latent_codes_are_the_sigmoid_outputs_above_one_half():
    network = METHOD.build_network(_fake((3, 32, 32)), 24, TINY)
    outputs = encode_layers(METHOD, network, torch.randint(0, 256, (7, 3, 32, 32), dtype=torch.uint8), device="cpu")
    assert outputs["latent"].shape == (7, 24) and outputs["f7"].shape == (7, 16) and outputs["scores"].shape == (7, 10)
    np.testing.assert_array_equal(unpack(METHOD.codes(outputs)), outputs["latent"] > 0.5)
    exactly_half = {"latent": np.full((1, 3), 0.5, np.float32)}
    assert unpack(METHOD.codes(exactly_half)).sum() == 0  # the one convention: strictly above the threshold


def test_ranked_lists_of_any_length_count_missing_results_as_misses():
    relevance = ranked_list_relevance([np.array([0, 1]), np.array([], dtype=np.int64)], np.array([0, 1]),
                                      np.array([0, 1, 0]), depth=4)
    np.testing.assert_array_equal(relevance, [[True, False, False, False], [False] * 4])
    np.testing.assert_allclose(precision_at_k(relevance, [1, 4]), [0.5, 0.125])
    with pytest.raises(ValueError, match="queries"):
        ranked_list_relevance([np.array([0])], np.array([0, 1]), np.array([0, 1]), 1)


@pytest.fixture(scope="module")
def smoke_run():
    settings = replace(SMOKE, code_lengths=(16,), pretrain=replace(SMOKE.pretrain, epochs=2),
                       recipe=replace(SMOKE.recipe, epochs=2), baselines=(BaselineRun("lsh"),))
    return run_method(METHOD, "mnist5k", settings, seed=0, device="cpu", checkpoints=False, progress=False)


def test_a_smoke_run_learns_codes_that_beat_lsh_and_reports_every_number(smoke_run):
    assert smoke_run.pretrained_accuracy > 0.8
    ours, lsh = smoke_run.reports[("DLBHC", 16)], smoke_run.reports[("LSH", 16)]
    at_100 = list(ours.ks).index(100)  # 400 images per class in this database: precision@1000 is at most 0.4
    assert ours.precision_at_k[at_100] > lsh.precision_at_k[at_100] + 0.2
    assert smoke_run.headline("DLBHC", 16) > smoke_run.headline("LSH", 16)
    assert smoke_run.headline_name == "mAP@1000 (all test queries)"
    assert len(smoke_run.query_sets["all test queries"].query) == 1000 and len(smoke_run.protocol.query) == 200
    names = {(row["name"], row["method"]) for row in smoke_run.rows()}
    assert {("mAP@1000 (all test queries)", "DLBHC"), ("test accuracy", "DLBHC"),
            ("test accuracy", "pre-trained network"), ("mAP@1000", "LSH")} <= names
    rows = classification_rows(smoke_run)
    assert rows[0]["model"] == "backbone without H (pre-training)" and len(rows) == 2


def test_baseline_reports_on_the_200_queries_are_the_matching_rows_of_every_image(smoke_run):
    from hashlib_core.baselines.on_protocol import baseline_codes
    from hashlib_core.evaluation import hamming_report
    from hashlib_core.features import dataset_features

    run = smoke_run
    features, _ = dataset_features(run.dataset, "pixels", progress=False)
    codes = baseline_codes("lsh", 16, features, run.labels, run.protocol, seed=0)
    direct = hamming_report(codes["query_codes"], codes["database_codes"], run.part_labels("query"),
                            run.part_labels("database"), ks=run.reports[("LSH", 16)].ks)
    np.testing.assert_allclose(direct.precision_at_k, run.reports[("LSH", 16)].precision_at_k)
    assert direct.map == run.reports[("LSH", 16)].map


def test_hierarchical_search_spans_binary_code_search_and_exhaustive_f7_search(smoke_run):
    study = search_comparison(smoke_run, 16, pool_sizes=(100, None), radii=(0, 2), ks=(1, 10, 100))
    summary = {row["search"]: row for row in study["summary"]}
    whole = f"HDS (pool {len(smoke_run.protocol.database)})"
    # equal up to float rounding of near-equal distances (ES: blocks of queries, HDS: one query at a time)
    assert summary[whole]["mAP@1000"] == pytest.approx(summary["ES (F7, exhaustive)"]["mAP@1000"], abs=1e-4)
    assert summary["HDS (pool 100)"]["mAP@1000"] is not None and summary["BCS (Hamming)"]["kind"] == "BCS"
    # pool of 100 = the Hamming top 100 re-ranked by F7: the same 100 items as BCS's top 100
    curves = {(row["search"], row["k"]): row["precision"] for row in study["curves"]}
    assert curves[("HDS (pool 100)", 100)] == pytest.approx(curves[("BCS (Hamming)", 100)])
    for k in (1, 10, 100):
        assert curves[(whole, k)] == pytest.approx(curves[("ES (F7, exhaustive)", k)], abs=1e-3)
    assert [row["radius"] for row in study["radius"]] == [0, 2]
    assert study["radius"][0]["mean candidates"] <= study["radius"][1]["mean candidates"]
    rows = search_rows({16: study})
    assert {row["name"] for row in rows} >= {"search study: mAP@1000", "search study: radius 2: HDS precision@10"}
    named = search_rows({16: study}, names={"BCS": "Li & Li (one-step)", "HDS": "Li & Li (two-step)"})
    pools = {row["pool_size"] for row in named if row["method"] == "Li & Li (two-step)" and row["name"] == "search study: mAP@1000"}
    assert len(pools) == len([row for row in study["summary"] if row["kind"] == "HDS"])
    assert {row["search"] for row in named if row["method"] == "Li & Li (one-step)"} == {"BCS (Hamming)"}


def test_the_alexnet_profile_offline_stops_with_the_cause_instead_of_training_another_model(monkeypatch):
    from torchvision.models import AlexNet_Weights

    from hashlib_core.nets.dlbhc import PretrainedWeightsUnavailable

    def offline(self, *args, **kwargs):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(type(AlexNet_Weights.IMAGENET1K_V1), "get_state_dict", offline)
    dataset = _fake((3, 32, 32))
    protocol = protocol_for(dataset, "dlbhc", n_queries=5)
    settings = PROFILES["alexnet"]["cifar10"]
    assert pretrain(METHOD, dataset, protocol, settings, checkpoints=False, progress=False) is None
    with pytest.raises(PretrainedWeightsUnavailable, match="name resolution"):
        train_network(METHOD, dataset, protocol, settings, 48, checkpoints=False, progress=False)


def test_the_same_seed_gives_bit_identical_pretraining_and_finetuning_whatever_ran_before():
    dataset = _fake((1, 28, 28))
    protocol = protocol_for(dataset, "dlbhc", n_queries=5)

    def both():
        pretrained = pretrain(METHOD, dataset, protocol, TINY, device="cpu", checkpoints=False, progress=False)
        torch.rand(100), np.random.rand(3)  # disturb the global generators between the stages
        return train_network(METHOD, dataset, protocol, TINY, 12, pretrained=pretrained, device="cpu",
                             checkpoints=False, progress=False).model.state_dict()

    first = both()
    torch.rand(100)
    second = both()
    assert all(torch.equal(value, second[name]) for name, value in first.items())


def test_the_chapter_prose_quotes_this_runs_numbers(smoke_run):
    import pandas as pd

    from hashlib_core.studies import dlbhc_findings as findings

    report = smoke_run.reports[("DLBHC", 16)]
    at_10 = list(report.ks).index(10)
    assert f"{report.precision_at_k[at_10]:.3f} at 10" in findings.precision_text({"mnist5k": smoke_run}, bits=16)
    accuracy = 100 * smoke_run.accuracy[16]
    assert f"{accuracy:.2f} % test accuracy" in findings.classification_text(pd.DataFrame(classification_rows(smoke_run)))
    assert "no CIFAR-10 result" in findings.release_text({"mnist5k": smoke_run})
    as_cifar = findings.release_text({"cifar10": smoke_run})
    assert f"mAP@1000 {smoke_run.headline('DLBHC', 16):.3f} at 16 bits" in as_cifar and "LSH" in as_cifar
    minutes = sum(smoke_run.stages.values()) / 60
    assert f"{minutes:.1f} wall minutes" in findings.timing_text({"mnist5k": smoke_run})
    frame = findings.backbones_frame({"mnist5k": smoke_run}, {})
    assert frame.loc[("mnist5k", "small backbone, from scratch"), 16] == smoke_run.headline("DLBHC", 16)
