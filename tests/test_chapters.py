import nbformat
import pytest

from hashlib_core.__main__ import main
from hashlib_core.chapters import chapter_names, execute_chapter, execute_missing_chapters


@pytest.fixture
def book_root(tmp_path):
    """A throw-away checkout with one tiny chapter whose parameters cell sets ``bits = 12``."""
    (tmp_path / "notebooks").mkdir()
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("bits = 12")
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell("print('bits =', bits)")]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, tmp_path / "notebooks" / "tiny.ipynb")
    return tmp_path


def _printed(path):
    cells = nbformat.read(path, as_version=4).cells
    return "".join(output.get("text", "") for cell in cells for output in cell.get("outputs", []))


def test_missing_executed_copies_are_run_with_default_parameters(book_root):
    assert chapter_names(book_root) == ["tiny"]
    executed = execute_missing_chapters(book_root)
    assert executed == [book_root / "book" / "tiny.ipynb"]
    assert "bits = 12" in _printed(executed[0])
    assert execute_missing_chapters(book_root) == []  # nothing missing any more


def test_parameters_are_injected_and_recorded(book_root):
    executed = execute_chapter("tiny", {"bits": 48}, root=book_root)
    assert "bits = 48" in _printed(executed)
    tags = [cell.metadata.get("tags", []) for cell in nbformat.read(executed, as_version=4).cells]
    assert ["injected-parameters"] in tags


def test_unknown_chapter_name_is_a_clear_error(book_root, capsys):
    with pytest.raises(ValueError, match="unknown chapter 'nope'.*tiny"):
        execute_chapter("nope", root=book_root)
    with pytest.raises(SystemExit):
        main(["run-chapter", "nope"])
    assert "unknown chapter 'nope'" in capsys.readouterr().err
