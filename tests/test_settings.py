from dataclasses import replace

import pytest

from hashlib_core.settings import BaselineRun, Recipe, RunSettings, narrow, settings_record

BASE = RunSettings(code_lengths=(12, 48), recipe=Recipe(epochs=2), protocol="cnnh")


@pytest.mark.parametrize("fields, message", [
    ({"epochs": 0}, "Recipe.epochs must be an integer >= 1"),
    ({"epochs": 2.5}, "Recipe.epochs must be an integer"),
    ({"epochs": 2, "lr": 0}, "Recipe.lr must be a positive number"),
    ({"epochs": 2, "weight_decay": -1}, "Recipe.weight_decay"),
    ({"epochs": 2, "optimizer": "adagrad"}, "Recipe.optimizer must be one of"),
    ({"epochs": 2, "schedule": "linear"}, "Recipe.schedule must be one of"),
    ({"epochs": 2, "batch_size": 1}, "Recipe.batch_size"),
    ({"epochs": 2, "flip": "yes"}, "Recipe.flip must be True or False"),
    ({"epochs": 2, "lr_scales": (("stem", -1),)}, "Recipe.lr_scales"),
    ({"epochs": 2, "schedule": "multistep"}, "Recipe.milestones must be given exactly when"),
    ({"epochs": 2, "schedule": "multistep", "milestones": (0.8, 0.2)}, "Recipe.milestones must be increasing"),
    ({"epochs": 2, "ema_decay": 1.0}, "Recipe.ema_decay"),
])
def test_a_bad_recipe_value_fails_at_once_naming_the_field(fields, message):
    with pytest.raises(ValueError, match=message):
        Recipe(**fields)


def test_an_unknown_field_fails_at_once_naming_it():
    with pytest.raises(TypeError, match="epoch"):
        Recipe(epoch=3)
    with pytest.raises(TypeError, match="recipes"):
        RunSettings(code_lengths=(12,), recipes=Recipe(epochs=2), protocol="cnnh")


def test_lr_scales_accept_a_mapping_and_are_stored_as_pairs():
    assert Recipe(epochs=1, lr_scales={"stem": 0.1}).lr_scales == (("stem", 0.1),)


@pytest.mark.parametrize("fields, message", [
    ({"code_lengths": ()}, "code_lengths must be a non-empty list"),
    ({"code_lengths": (12, "48")}, "code_lengths"),
    ({"recipe": {"epochs": 2}}, "RunSettings.recipe must be a Recipe"),
    ({"protocol": "cifar"}, "RunSettings.protocol must be one of"),
    ({"protocol_options": {"n_queries": 5}}, "settings of protocol 'cnnh'"),
    ({"feature": "gist"}, "RunSettings.feature must be a feature kind"),
    ({"baselines": ("lsh",)}, "tuple of BaselineRun"),
    ({"map_depth": 0}, "map_depth"),
    ({"report_ks": (0,)}, "report_ks"),
])
def test_bad_run_settings_fail_when_built(fields, message):
    with pytest.raises(ValueError, match=message):
        replace(BASE, **fields)


def test_a_baseline_run_knows_its_methods_options():
    assert BaselineRun("ksh", {"n_labeled": 500}).label == "KSH"
    with pytest.raises(ValueError, match="BaselineRun.method must be one of"):
        BaselineRun("kshh")
    with pytest.raises(ValueError, match="options of ksh"):
        BaselineRun("ksh", {"n_labelled": 500})


def test_narrow_replaces_lengths_and_epochs_and_leaves_the_profile_alone():
    profile = {"a": BASE, "b": BASE}
    plan = narrow(profile, ["b"], [16], 5)
    assert list(plan) == ["b"] and plan["b"].code_lengths == (16,) and plan["b"].recipe.epochs == 5
    assert profile["b"].code_lengths == (12, 48) and profile["b"].recipe.epochs == 2


def test_settings_record_is_plain_json_data():
    record = settings_record(replace(BASE, baselines=(BaselineRun("lsh"),)))
    assert record["recipe"]["epochs"] == 2 and record["baselines"] == [{"method": "lsh", "options": {}, "feature": None}]
    assert record["code_lengths"] == [12, 48]


def test_checkpoint_keys_leave_out_later_recipe_fields_at_their_defaults_only():
    from hashlib_core.settings import key_record

    plain, jittered = Recipe(epochs=3), Recipe(epochs=3, brightness=0.2)
    assert "brightness" not in key_record(plain) and "step_iterations" not in key_record(plain)
    assert key_record(plain) == {key: value for key, value in settings_record(plain).items()
                                 if key not in ("brightness", "contrast", "step_iterations")}
    assert key_record(jittered)["brightness"] == 0.2 and "brightness" in settings_record(plain)
