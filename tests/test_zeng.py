from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from torch.nn import functional as F

from hashlib_core.codes import pack, unpack
from hashlib_core.metrics import hamming_map
from hashlib_core.experiment import run_method
from hashlib_core.methods.zeng import NETWORKS, PROFILES, Zeng, halving_recipe
from hashlib_core.nets.dsh import dsh_net
from hashlib_core.nets.zeng import StreamBlock, multipool_net
from hashlib_core.settings import BaselineRun
from hashlib_core.studies.zeng import (combined_key, combined_rank, combined_similarity, perceptual_hashes,
                                       similarity_study)


def test_the_bilinear_network_has_eight_streams_after_three_blocks_and_bits_outputs():
    network = multipool_net(48, widths=(4, 5, 6), fusion_width=16, fc_width=20)
    assert network.streams == 8
    assert [block.conv.groups for block in network.extract] == [1, 2, 4]
    streams = network.extract(torch.rand(3, 3, 32, 32))
    assert streams.shape == (3, 8 * 6, 4, 4)
    assert network(torch.rand(3, 3, 32, 32)).shape == (3, 48)
    assert multipool_net(12, 1, widths=(4, 4, 4), fusion_width=8, fc_width=8)(torch.rand(2, 1, 28, 28)).shape == (2, 12)


@pytest.mark.parametrize("branches, streams", [(("max", "max"), 8), (("avg", "avg"), 8), (("avg",), 1), (("max",), 1)])
def test_the_ablations_change_the_pooling_or_the_number_of_streams(branches, streams):
    assert multipool_net(16, branches=branches, widths=(4, 4, 4), fusion_width=8, fc_width=8).streams == streams


def test_each_stream_is_its_own_convolution_followed_by_its_branch_pooling_then_relu():
    torch.manual_seed(0)
    block = StreamBlock(streams=2, in_width=3, out_width=4, branches=("avg", "max")).eval()
    inputs = torch.randn(2, 6, 8, 8)
    normalised = block.norm(inputs)
    weights, biases = block.conv.weight.reshape(2, 2, 4, 3, 3, 3), block.conv.bias.reshape(2, 2, 4)
    expected = []
    for stream in range(2):
        own = normalised[:, 3 * stream:3 * stream + 3]
        for branch, pool in enumerate((F.avg_pool2d, F.max_pool2d)):
            convolved = F.conv2d(own, weights[stream, branch], biases[stream, branch], padding=1)
            options = {"count_include_pad": False} if pool is F.avg_pool2d else {}
            expected.append(F.relu(pool(convolved, 3, 2, 1, **options)))
    torch.testing.assert_close(block(inputs), torch.cat(expected, dim=1))


def test_bad_network_settings_are_refused_with_what_was_expected():
    with pytest.raises(ValueError, match="branches"):
        multipool_net(16, branches=("min",))
    with pytest.raises(ValueError, match="network must be one of"):
        Zeng("vgg")
    with pytest.raises(ValueError, match="widths"):
        replace(PROFILES["smoke"]["mnist5k"], widths=(8, 8))


def test_the_dsh_network_is_the_single_stream_reference_for_both_image_sizes():
    assert dsh_net(48)(torch.rand(2, 3, 32, 32)).shape == (2, 48)
    assert dsh_net(12, 1, 28)(torch.rand(2, 1, 28, 28)).shape == (2, 12)
    method = Zeng("dsh")
    assert method.name == NETWORKS["dsh"][0] and Zeng().name == "Zeng (bilinear max+avg)"


def test_the_recipe_halves_the_learning_rate_every_20000_iterations_whatever_the_epochs():
    recipe = halving_recipe(50)
    assert (recipe.optimizer, recipe.lr, recipe.batch_size, recipe.gamma) == ("adam", 1e-4, 100, 0.5)
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([parameter], lr=recipe.lr)
    scheduler = recipe.schedule_factory()(optimizer, 25_000)
    rates = []
    for _ in range(45_000):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert rates[19_999] == pytest.approx(1e-4) and rates[20_000] == pytest.approx(5e-5)
    assert rates[40_000] == pytest.approx(2.5e-5)
    assert PROFILES["paper"]["cifar10"].recipe.brightness > 0 and not PROFILES["paper"]["mnist"].recipe.flip


def test_the_perceptual_hash_of_an_image_matches_itself_exactly_and_others_less():
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8, generator=generator)
    images[1] = images[0]
    hashes = unpack(perceptual_hashes(images, progress=False))
    assert hashes.shape == (4, 64)
    assert (hashes[0] == hashes[1]).all() and (hashes[0] != hashes[2]).any()
    assert combined_similarity(np.array([0]), np.array([0]), 48, "similarity")[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="uint8"):
        perceptual_hashes(images.float())


def test_eq3_orders_by_code_distance_then_by_perceptual_distance_in_both_readings():
    code = np.array([0, 1, 1, 2, 48])
    visual = np.array([5, 0, 9, 0, 0])
    similarity = combined_similarity(code, visual, 48, "similarity")
    key = combined_key(code, visual, 48, "similarity")
    # higher similarity <=> lower key; identical codes (d = 0) are level with codes one bit apart
    assert np.array_equal(np.argsort(-similarity, kind="stable"), np.argsort(key, kind="stable"))
    assert key[0] == 1 * 64 + 5 and key[1] < key[0] < key[2]
    distance = combined_similarity(code, visual, 48, "distance")
    assert np.array_equal(np.argsort(distance, kind="stable"), np.argsort(combined_key(code, visual, 48, "distance"),
                                                                          kind="stable"))
    assert combined_key(code, visual, 48, "distance")[4] == 47 * 64  # complementary codes move one bit closer
    with pytest.raises(ValueError, match="reading"):
        combined_key(code, visual, 48, "cosine")


def test_the_combined_ranking_breaks_hamming_ties_by_perceptual_distance_then_index():
    codes = pack(np.array([[0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 1, 1]], dtype=np.uint8))
    near = np.zeros(64, dtype=np.uint8)
    far = near.copy()
    far[:10] = 1
    hashes = pack(np.stack([near, far, near, near]))
    ranking = combined_rank(codes[:1], codes, hashes[:1], hashes, reading="distance")
    assert ranking.tolist() == [[0, 2, 1, 3]]  # d = 0; d = 1 visually near; d = 1 far; d = 2


@pytest.fixture(scope="module")
def smoke_run():
    settings = replace(Zeng().plan("smoke", code_lengths=[16])["mnist5k"], recipe=halving_recipe(2, lr=1e-3, flip=False),
                       widths=(4, 4, 4), fusion_width=16, fc_width=32, baselines=(BaselineRun("lsh"),))
    return run_method(Zeng(), "mnist5k", settings, progress=False, checkpoints=False, workers=1)


def test_a_smoke_run_learns_sign_codes_that_beat_lsh(smoke_run):
    outputs = smoke_run.outputs[16]["hash"]
    np.testing.assert_array_equal(unpack(smoke_run.codes[("Zeng (bilinear max+avg)", 16)]),
                                  (outputs > 0).astype(np.uint8))
    assert smoke_run.headline("Zeng (bilinear max+avg)", 16) > smoke_run.headline("LSH", 16) + 0.2


def test_the_similarity_study_scores_hamming_and_both_readings_of_eq3(smoke_run):
    hashes = perceptual_hashes(smoke_run.dataset.images, progress=False)
    rows = similarity_study(smoke_run, hashes, 16)
    assert [row["ranking"] for row in rows] == ["Hamming distance (ties by index)", "Eq. 3, s read as a similarity",
                                                "Eq. 3, s read as a distance"]
    hamming, similarity = rows[0], rows[1]
    assert abs(similarity["mAP"] - hamming["mAP"]) < 0.05  # the visual term only reorders within a distance
    assert similarity["perceptual distance of the top 10"] <= hamming["perceptual distance of the top 10"]


def test_the_ablation_verdict_needs_every_seed_of_one_variant_above_every_seed_of_the_other():
    from hashlib_core.studies.zeng import ablation_text

    names = {network: Zeng(network).name for network in ("bilinear", "max-only")}
    rows = [{"network": names["bilinear"], "seed": seed, "bits": 12, "mAP": value, "training minutes": 1.0}
            for seed, value in ((0, 0.70), (1, 0.72))]
    apart = rows + [{"network": names["max-only"], "seed": seed, "bits": 12, "mAP": value, "training minutes": 1.0}
                    for seed, value in ((0, 0.65), (1, 0.69))]
    assert "beyond seed noise" in ablation_text(apart)
    overlapping = rows + [{"network": names["max-only"], "seed": seed, "bits": 12, "mAP": value,
                           "training minutes": 1.0} for seed, value in ((0, 0.65), (1, 0.71))]
    assert "on average only, within seed noise" in ablation_text(overlapping)
    assert "one seed" in ablation_text(rows[:1] + apart[2:3])


def test_longer_training_keeps_the_papers_halving_at_its_fraction_of_the_run():
    from hashlib_core.studies.zeng import longer_recipe

    settings = PROFILES["paper"]["cifar10"]
    longer = longer_recipe(settings, 30)
    assert longer.recipe.epochs == 30 and longer.recipe.step_iterations == 12_000  # 4/5 of 30 x 500 iterations
    assert longer_recipe(settings, 50).recipe.step_iterations == 20_000  # the paper's run unchanged
    assert (longer.recipe.lr, longer.widths, longer.code_lengths) == (settings.recipe.lr, settings.widths,
                                                                    settings.code_lengths)
    digits = PROFILES["paper"]["mnist"]
    assert longer_recipe(digits, 50, dataset="mnist").recipe.step_iterations == 20_000  # of 30,000: the paper's
    partial = longer_recipe(digits, 50, dataset="mnist", training_images=17_435)
    assert partial.recipe.step_iterations == 5_800  # 2/3 of 50 x 174 iterations (the last partial batch dropped)
    assert longer_recipe(digits, 6, dataset="mnist5k", training_images=4_000).recipe.step_iterations == 160
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="epochs must be a positive integer"):
            longer_recipe(settings, bad)
    with pytest.raises(ValueError, match="dataset must be one of"):
        longer_recipe(settings, 50, dataset="oxford17")


def test_the_long_runs_train_table_1s_network_under_bf16_on_the_paper_profiles_recipe():
    from hashlib_core.studies.zeng import long_settings

    settings = PROFILES["paper"]["cifar10"]
    table1 = long_settings(settings, 50)
    assert (table1.widths, table1.fusion_width, table1.fc_width) == ((32, 32, 32), 512, 1000)
    assert table1.recipe.precision == "bf16" and table1.recipe.epochs == 50
    assert table1.recipe.step_iterations == 20_000 and table1.recipe.lr == settings.recipe.lr
    narrow = long_settings(settings, 10, table1_widths=False, precision="fp32")
    assert (narrow.widths, narrow.fusion_width, narrow.recipe.precision) == (settings.widths, 256, "fp32")
    assert (table1.recipe.padding, table1.recipe.optimizer, table1.recipe.weight_decay) == (2, "adam", 0.0)
    regularised = long_settings(settings, 50, recipe="regularised")
    assert (regularised.recipe.padding, regularised.recipe.contrast, regularised.recipe.optimizer,
            regularised.recipe.weight_decay) == (4, 0.8, "adamw", 0.05)
    assert replace(regularised.recipe, padding=2, brightness=0.2, contrast=0.2, optimizer="adam",
                   weight_decay=0.0) == table1.recipe  # only the regularisation differs
    papers_rate = long_settings(settings, 50, recipe="paper's learning rate")
    assert papers_rate.recipe.lr == 1e-4 and replace(papers_rate.recipe, lr=settings.recipe.lr) == table1.recipe
    annealed = long_settings(settings, 50, recipe="annealed")
    assert (annealed.recipe.schedule, annealed.recipe.step_iterations) == ("cosine", None)
    assert replace(annealed.recipe, schedule="step", step_iterations=20_000) == table1.recipe  # only the schedule
    with pytest.raises(ValueError, match="recipe must be one of"):
        long_settings(settings, 50, recipe="regularized")
    network = multipool_net(48, 3, widths=table1.widths, fusion_width=table1.fusion_width, fc_width=table1.fc_width)
    assert sum(parameter.numel() for parameter in network.parameters()) == 4_218_734


def test_the_longer_run_is_reported_beside_the_chapters_and_judged_on_the_target(smoke_run):
    from hashlib_core.studies.zeng import long_rows, long_runs, long_table, long_text, results_rows

    assert long_runs(smoke_run.dataset, smoke_run.settings, 0) == {}
    with pytest.raises(ValueError, match="recipe must be one of"):
        long_runs(smoke_run.dataset, smoke_run.settings, 0, recipes=(True,))
    assert "long_epochs" in long_text([])
    long = long_runs(smoke_run.dataset, smoke_run.settings, 3, bits=16, networks=("bilinear",), progress=False,
                     recipes=("profile's", "regularised"), table1_widths=False, checkpoints=False)
    assert list(long) == [("bilinear", "profile's"), ("bilinear", "regularised")]
    plain, regularised = long[("bilinear", "profile's")], long[("bilinear", "regularised")]
    assert plain.settings.recipe.epochs == 3 and plain.settings.baselines == ()
    assert plain.settings.recipe.precision == "bf16" and plain.settings.recipe.weight_decay == 0.0
    assert regularised.settings.recipe.weight_decay == 0.05 and regularised.settings.recipe.padding == 4
    trained = len(smoke_run.protocol.train)  # the halving counts this run's iterations (2/3 as the paper's MNIST)
    assert plain.settings.recipe.step_iterations == round(20_000 * (trained // 100 * 3) / 30_000)
    rows = long_rows(long, {"bilinear": smoke_run}, bits=16)
    assert [row["recipe"] for row in rows] == ["profile's", "regularised"]
    assert rows[0]["epochs (chapter)"] == 2 and rows[0]["mAP (long)"] == plain.headline(Zeng().name, 16)
    assert rows[0]["mAP (chapter)"] == smoke_run.headline(Zeng().name, 16)
    assert rows[0]["widths (long)"] == "{}, {}, {}".format("/".join(map(str, smoke_run.settings.widths)),
                                                          smoke_run.settings.fusion_width, smoke_run.settings.fc_width)
    assert 0 < rows[0]["training-set mAP (long)"] <= 1
    assert long_table([]) is None
    assert "recipe" in long_table(rows).data.columns and "bits" not in long_table(rows).data.columns
    assert "recipe" not in long_table(rows[:1]).data.columns
    assert {row["dataset"] for row in rows} == {"mnist5k"} and "dataset" not in long_table(rows).data.columns
    text = long_text(rows, {"mnist5k": 1.01})
    assert text.startswith("* **mnist5k**, 16 bits")
    assert text.count("**not met**") == 2 and "regularised recipe" in text
    assert "is met with the profile's recipe" in long_text(rows, {"mnist5k": 0.0})
    assert "target" not in long_text(rows, {"cifar10": 0.0})
    elsewhere = [{**rows[0], "dataset": "other"}]
    assert "dataset" in long_table(rows + elsewhere).data.columns
    assert long_text(rows + elsewhere).count("* **") == 2
    similarity = pd.DataFrame([{"ranking": "Hamming distance (ties by index)", "bits": 16, "mAP": 0.5}])
    extra = results_rows({}, "mnist5k", [], similarity, rows + elsewhere)
    assert [row["name"] for row in extra["mnist5k"]] == ["similarity: mAP", "mAP (longer training)",
                                                         "mAP (longer training, regularised)"]
    assert extra["mnist5k"][1]["epochs"] == 3
    assert extra["mnist5k"][2]["training_set_map"] == rows[1]["training-set mAP (long)"]
    assert [row["name"] for row in extra["other"]] == ["mAP (longer training)"]  # each row in its dataset's file


def test_the_training_set_map_ranks_training_images_against_the_other_training_images(smoke_run):
    from hashlib_core.studies.zeng import training_map

    bits = max(smoke_run.settings.code_lengths)
    value = training_map(smoke_run, bits, queries=100)
    assert 0 < value <= 1 and value == training_map(smoke_run, bits, queries=100)
    codes = smoke_run.codes[(smoke_run.method.name, bits)]
    train, labels = smoke_run.protocol.train, smoke_run.labels
    order = np.random.default_rng(0).permutation(len(train))
    asked, rest = train[order[:100]], train[order[100:]]
    assert value == hamming_map(codes[asked], codes[rest], labels[asked], labels[rest])
    with pytest.raises(ValueError, match="need more than"):
        training_map(smoke_run, bits, queries=len(train))


def test_the_recipe_studies_show_their_committed_results_without_the_columns_their_text_says():
    from hashlib_core.studies.zeng import recipe_table

    table = recipe_table("long_seed1_cifar10", drop=("training minutes", "images/s"))
    assert list(table.data.columns) == ["network", "mAP", "training-set mAP"]
    assert "training minutes" in recipe_table("regularisation_cifar10").data.columns
    assert recipe_table("no_such_study") is None
    widths = recipe_table("widths_cifar10")  # benchmarks/zeng_widths.py: no recipe column, widths shown as read
    assert "epochs" not in widths.data.columns
    assert "32/64/128, 512, 1,000" in widths.to_html()


def test_the_study_plan_takes_the_profiles_values_unless_the_notebook_gives_its_own():
    from hashlib_core.studies.zeng import STUDY_PLANS, StudyPlan, study_plan

    plan = {"mnist5k": PROFILES["smoke"]["mnist5k"]}
    smoke = study_plan("smoke", plan)
    assert smoke == StudyPlan(seeds=(0,), code_lengths=(48,), long_epochs=4)  # the longest smoke code length
    assert study_plan("paper", PROFILES["paper"]) == StudyPlan(seeds=(0, 1), code_lengths=(12, 48), long_epochs=50)
    assert study_plan("long", PROFILES["long"]).long_epochs == 0
    chosen = study_plan("paper", PROFILES["paper"], seeds=[3], code_lengths=[24], long_epochs=0)
    assert chosen == StudyPlan(seeds=(3,), code_lengths=(24,), long_epochs=0)
    assert set(STUDY_PLANS) == set(PROFILES)
    with pytest.raises(ValueError, match="profile must be one of"):
        study_plan("fast", plan)
    with pytest.raises(ValueError, match="seeds must be one or more"):
        study_plan("paper", plan, seeds=[])
    with pytest.raises(ValueError, match="long_epochs must be an integer >= 0"):
        study_plan("paper", plan, long_epochs=-1)
    with pytest.raises(ValueError, match="code_lengths must be positive"):
        study_plan("paper", plan, code_lengths=[0])


def test_changed_top_returns_the_queries_whose_top_list_eq3_changes_and_both_lists(smoke_run):
    from hashlib_core.studies.zeng import changed_top

    hashes = perceptual_hashes(smoke_run.dataset.images, progress=False)
    examples = changed_top(smoke_run, hashes, 16, count=3, top=5)
    hamming, combined = examples["rankings"].values()
    assert list(examples["rankings"]) == ["Hamming ranking", "Eq. 3 (s as a similarity)"]
    assert hamming.shape == combined.shape == (len(examples["query"]), 5)
    assert (hamming != combined).any(axis=1).all()  # only queries whose top 5 differ
    assert set(examples["query"]) <= set(smoke_run.protocol.query)
    assert set(hamming.ravel()) | set(combined.ravel()) <= set(smoke_run.protocol.database)


def test_the_dsh_network_trains_beside_without_baselines_and_shows_beside_the_papers_network(smoke_run):
    from hashlib_core.studies.zeng import maps_table, named_runs, reference_plan

    plan = Zeng().plan("smoke")
    assert all(settings.baselines == () for settings in reference_plan(plan).values())
    assert reference_plan(plan)["mnist5k"].code_lengths == plan["mnist5k"].code_lengths
    assert list(named_runs({"mnist5k": smoke_run}, {"mnist5k": smoke_run})) == ["mnist5k", "mnist5k (DSH network)"]
    table = maps_table({"mnist5k": smoke_run}, {})
    assert table.loc[("mnist5k", "ours", "Zeng (bilinear max+avg)"), 16] == pytest.approx(
        smoke_run.headline("Zeng (bilinear max+avg)", 16))
