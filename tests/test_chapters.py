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


def _add_failing_chapter(root, name="fragile"):
    """A chapter that fails when ``fail`` is true and reads ``profile``."""
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('profile = "smoke"\nfail = False')
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell("assert not fail, 'asked to fail'\nprint('ran', profile)")]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, root / "notebooks" / f"{name}.ipynb")
    return name


def test_a_failed_run_leaves_the_executed_copy_byte_identical_and_keeps_the_failure(book_root):
    from hashlib_core.chapters import ChapterRunError

    name = _add_failing_chapter(book_root)
    good = execute_chapter(name, {"profile": "paper"}, root=book_root)
    before = good.read_bytes()
    with pytest.raises(ChapterRunError, match="asked to fail.*unchanged.*kept at"):
        execute_chapter(name, {"profile": "paper", "fail": True}, root=book_root)
    assert good.read_bytes() == before
    assert (book_root / "_build" / "failed" / f"{name}.ipynb").exists()
    assert not list((book_root / "book").glob(".*running*"))


def test_an_interrupted_run_leaves_the_executed_copy_alone(book_root, monkeypatch):
    import papermill

    name = _add_failing_chapter(book_root)
    good = execute_chapter(name, root=book_root)
    before = good.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(papermill, "execute_notebook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        execute_chapter(name, root=book_root)
    assert good.read_bytes() == before


def test_a_smoke_run_does_not_replace_a_paper_run_without_the_flag(book_root):
    name = _add_failing_chapter(book_root)
    execute_chapter(name, {"profile": "paper"}, root=book_root)
    with pytest.raises(ValueError, match="'paper'-profile run.*--replace-profile"):
        execute_chapter(name, root=book_root)
    assert "ran smoke" in _printed(execute_chapter(name, root=book_root, replace_profile=True))


def test_unknown_parameters_and_bad_yaml_are_one_line_errors(book_root, capsys, monkeypatch):
    with pytest.raises(ValueError, match="no parameter.*bitz.*it takes: bits"):
        execute_chapter("tiny", {"bitz": 3}, root=book_root)
    with pytest.raises(SystemExit):
        main(["run-chapter", "tiny", "-p", "code_lengths", "[12, 48"])
    assert "not a YAML value" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run-chapter", "tiny", "--args", "profile paper"])
    assert "ARGS must be '-p KEY VALUE' pairs" in capsys.readouterr().err


def test_a_failed_copy_counts_as_missing(book_root):
    executed = execute_missing_chapters(book_root)[0]
    notebook = nbformat.read(executed, as_version=4)
    notebook.metadata["papermill"]["exception"] = True
    nbformat.write(notebook, executed)
    assert execute_missing_chapters(book_root) == [executed]


def test_a_chapter_run_prints_no_kernel_transport_banner(book_root, capfd):
    execute_chapter("tiny", root=book_root, progress_bar=False)
    captured = capfd.readouterr()
    assert "without encryption" not in captured.err + captured.out


def test_a_data_root_reaches_the_kernel_but_not_the_executed_copy(book_root, tmp_path_factory):
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("data_root = None")
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell(
        "import os\nprint('root is set:', 'secret-place' in os.environ.get('HASHING_BOOK_DATA', ''))")]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, book_root / "notebooks" / "rooted.ipynb")
    place = tmp_path_factory.mktemp("secret-place")
    executed = execute_chapter("rooted", {"data_root": str(place)}, root=book_root, progress_bar=False)
    assert "root is set: True" in _printed(executed)
    assert str(place) not in executed.read_text()


def test_the_executed_copy_carries_no_path_of_this_checkout(book_root):
    executed = execute_chapter("tiny", root=book_root, progress_bar=False)
    text = executed.read_text()
    assert str(book_root) not in text and "<repository>/notebooks/tiny.ipynb" in text


def test_make_chapter_hands_the_cli_arguments_it_accepts(monkeypatch):
    """``make chapter NAME=... ARGS="-p ..."``: the command make runs parses to those parameters."""
    import os
    import shutil
    import subprocess

    from hashlib_core import __main__ as cli
    from hashlib_core.runtime import repository_root

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    arguments = "-p profile paper -p datasets '[cifar10]'"
    dry_run = subprocess.run(["make", "-n", "chapter", "NAME=cnnbh", f"ARGS={arguments}"],
                             cwd=repository_root(), capture_output=True, text=True, check=True).stdout
    line = next(line for line in dry_run.splitlines() if "run-chapter" in line)
    command = line.split("-m hashlib_core", 1)[1]
    argv = subprocess.run(["bash", "-c", f'for a in {command}; do printf "%s\\0" "$a"; done'],
                          env={**os.environ, "CHAPTER_ARGS": arguments}, capture_output=True, text=True,
                          check=True).stdout.split("\0")[:-1]
    seen = {}
    monkeypatch.setattr(cli, "execute_chapter", lambda name, parameters, **_: seen.update(name=name, **parameters))
    assert cli.main(argv) == 0
    assert seen == {"name": "cnnbh", "profile": "paper", "datasets": ["cifar10"]}


@pytest.mark.parametrize("name", chapter_names())
def test_every_assignment_of_a_parameters_cell_is_a_parameter(name):
    """papermill skips a line with a second ``=`` (e.g. in its comment), so ``-p`` would call it unknown."""
    import ast

    from hashlib_core.chapters import chapter_parameters, repository_root

    notebook = nbformat.read(repository_root() / "notebooks" / f"{name}.ipynb", as_version=4)
    cell = next(cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", []))
    assigned = [target.id for statement in ast.parse(cell.source).body for target in statement.targets]
    assert sorted(chapter_parameters(name)) == sorted(assigned)
