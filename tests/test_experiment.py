import pytest
import torch

from hashlib_core.data import ImageDataset
from hashlib_core.experiment import Recipe, checkpoint_path, narrow_profile
from hashlib_core.protocols import protocol_for

PROFILES = {"quick": {"a": {"code_lengths": [8], "finetune": Recipe(epochs=2)},
                      "b": {"code_lengths": [8], "finetune": Recipe(epochs=2)}}}


def _dataset(checksum="0" * 64):
    return ImageDataset("toy", torch.zeros((20, 1, 4, 4), dtype=torch.uint8), torch.arange(20) % 2,
                        torch.arange(20) >= 10, ["x", "y"], "test", checksum)


def test_narrow_profile_picks_datasets_and_replaces_lengths_and_the_named_recipes_epochs():
    plan = narrow_profile(PROFILES, "quick", ["b"], [4, 16], 5, recipe_key="finetune")
    assert list(plan) == ["b"] and plan["b"]["code_lengths"] == [4, 16]
    assert plan["b"]["finetune"] == Recipe(epochs=5)
    assert PROFILES["quick"]["b"]["finetune"].epochs == 2 and PROFILES["quick"]["b"]["code_lengths"] == [8]


@pytest.mark.parametrize("arguments, message", [
    (("slow",), "profile must be one of quick"),
    (("quick", ["c"]), "are not among them"),
    (("quick", None, []), "positive integers"),
    (("quick", None, None, 0), "at least 1"),
])
def test_narrow_profile_explains_bad_requests(arguments, message):
    with pytest.raises(ValueError, match=message):
        narrow_profile(PROFILES, *arguments, recipe_key="finetune")


def test_checkpoint_path_changes_with_anything_that_changes_the_run(tmp_path):
    dataset = _dataset()
    protocol = protocol_for(dataset, "dlbhc", n_queries=4)
    base = checkpoint_path("dlbhc", "48b", dataset, protocol, Recipe(epochs=3), 0, tmp_path, bits=48)
    assert base == checkpoint_path("dlbhc", "48b", dataset, protocol, Recipe(epochs=3), 0, tmp_path, bits=48)
    assert base.parent == tmp_path / "checkpoints" / "dlbhc" and base.name.startswith("toy-48b-")
    others = [checkpoint_path("dlbhc", "48b", dataset, protocol, Recipe(epochs=4), 0, tmp_path, bits=48),
              checkpoint_path("dlbhc", "48b", dataset, protocol, Recipe(epochs=3), 1, tmp_path, bits=48),
              checkpoint_path("dlbhc", "48b", dataset, protocol, Recipe(epochs=3), 0, tmp_path, bits=32),
              checkpoint_path("dlbhc", "48b", _dataset("1" * 64), protocol, Recipe(epochs=3), 0, tmp_path, bits=48),
              checkpoint_path("dlbhc", "48b", dataset, protocol_for(dataset, "dlbhc", n_queries=5), Recipe(epochs=3),
                              0, tmp_path, bits=48)]
    assert len({base, *others}) == 6
