import json

import pytest

from hashlib_core.results import metric_value, read_results, write_results


def test_results_file_round_trip_and_lookup(tmp_path):
    path = write_results("demo", {"name": "mnist5k", "checksum": "abc"}, {"protocol": "cnnh", "checksum": "def"},
                         [{"name": "mAP", "method": "lsh", "bits": 12, "value": 0.25}], code_lengths=[12],
                         stage_seconds={"train": 1.234}, parameters={"profile": "smoke"}, seed=0,
                         directory=tmp_path)
    assert path == tmp_path / "mnist5k.json"
    results = read_results(path)
    assert metric_value(results, "mAP", "lsh", 12) == 0.25
    assert results["stage_seconds"] == {"train": 1.23}
    assert results["environment"]["packages"]["torch"]
    assert json.loads(path.read_text())["parameters"] == {"profile": "smoke"}
    with pytest.raises(KeyError, match="no metric 'mAP' for method 'ksh'"):
        metric_value(results, "mAP", "ksh", 12)


def test_metric_rows_must_name_what_they_measure(tmp_path):
    with pytest.raises(ValueError, match="lacks"):
        write_results("demo", {"name": "x"}, {}, [{"value": 1.0}], code_lengths=[], stage_seconds={},
                      parameters={}, seed=0, directory=tmp_path)
