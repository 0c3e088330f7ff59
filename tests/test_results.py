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


def _write(tmp_path, value=0.25):
    return write_results("demo", {"name": "mnist5k"}, {"protocol": "cnnh"},
                         [{"name": "mAP", "method": "lsh", "bits": 12, "value": value}], code_lengths=[12],
                         stage_seconds={}, parameters={}, seed=0, directory=tmp_path)


def test_nan_is_written_as_null_so_the_file_stays_strict_json(tmp_path):
    path = _write(tmp_path, float("nan"))
    json.loads(path.read_text(), parse_constant=lambda name: pytest.fail(f"bare {name} in the file"))
    assert metric_value(read_results(path), "mAP", "lsh", 12) is None


def test_a_crash_while_writing_leaves_the_previous_results_file(tmp_path, monkeypatch):
    import hashlib_core.results as results_module

    path = _write(tmp_path)
    before = path.read_bytes()

    def crash(value, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(results_module.json, "dumps", crash)
    with pytest.raises(KeyboardInterrupt):
        _write(tmp_path, 0.5)
    assert path.read_bytes() == before
    assert [item.name for item in tmp_path.iterdir()] == ["mnist5k.json"]  # no temporary left behind


@pytest.mark.parametrize("content, message", [("{", "not valid JSON"), ("[]", "expected a JSON object"),
                                              ('{"chapter": "x"}', "missing dataset")])
def test_the_reader_checks_the_schema_and_names_the_file(tmp_path, content, message):
    from hashlib_core.results import ResultsFileError

    path = tmp_path / "broken.json"
    path.write_text(content)
    with pytest.raises(ResultsFileError, match=f"broken.json.*{message}"):
        read_results(path)


def test_no_path_of_the_writing_machine_lands_in_the_file(tmp_path, monkeypatch):
    from hashlib_core.runtime import repository_root

    monkeypatch.setenv("HASHING_BOOK_DATA", str(tmp_path / "my-data"))
    path = write_results("demo", {"name": "x", "source": f"image folder {tmp_path / 'my-data'}/cifar10"}, {},
                         [{"name": "m", "method": "a", "value": 1.0, "note": f"from {repository_root()}/results"}],
                         code_lengths=[], stage_seconds={}, parameters={}, seed=0, directory=tmp_path)
    text = path.read_text()
    assert str(tmp_path / "my-data") not in text and str(repository_root()) not in text
    assert "image folder <data root>/cifar10" in text and "from <repository>/results" in text
