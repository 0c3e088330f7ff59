import json

from hashlib_core.portable import machine_paths, portable, scrub_file
from hashlib_core.runtime import repository_root


def test_portable_replaces_machine_paths_in_nested_strings_only():
    places = machine_paths({"/old/data": "<data root>"})
    value = {"source": "image folder /old/data/cifar10", "rows": [f"wrote {repository_root()}/results/x.json", 0.5]}
    assert portable(value, places) == {"source": "image folder <data root>/cifar10",
                                       "rows": ["wrote <repository>/results/x.json", 0.5]}


def test_scrub_file_rewrites_a_notebook_and_leaves_numbers_alone(tmp_path):
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps({"metadata": {"papermill": {"parameters": {"data_root": "/old/data"}}},
                                "cells": [{"outputs": [{"text": "mAP 0.5300 from /old/data"}]}]}))
    assert scrub_file(path, machine_paths({"/old/data": "<data root>"})) == 2
    record = json.loads(path.read_text())
    assert record["metadata"]["papermill"]["parameters"]["data_root"] == "<data root>"
    assert record["cells"][0]["outputs"][0]["text"] == "mAP 0.5300 from <data root>"
    assert scrub_file(path, machine_paths({"/old/data": "<data root>"})) == 0
