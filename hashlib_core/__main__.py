"""Command line: ``python -m hashlib_core run-chapter NAME -p key value ...``, ``execute-missing`` and ``list``."""

from __future__ import annotations

import argparse
import shlex
import sys

import yaml

from .chapters import ChapterRunError, chapter_names, execute_chapter, execute_missing_chapters


def _parameters(pairs: list[list[str]], parser: argparse.ArgumentParser) -> dict:
    parameters = {}
    for key, value in pairs:
        try:
            parameters[key] = yaml.safe_load(value)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem", None) or str(error).splitlines()[0]
            parser.error(f"-p {key} {value!r}: not a YAML value ({mark}); quote lists, e.g. -p {key} '[12, 48]'")
    return parameters


def _pairs_from_args(text: str | None, parser: argparse.ArgumentParser) -> list[list[str]]:
    """``-p KEY VALUE`` pairs from one string (the Makefile passes ``ARGS`` this way, unexpanded by the shell)."""
    words = shlex.split(text or "")
    pairs = []
    while words:
        flag = words.pop(0)
        if flag not in ("-p", "--parameter") or len(words) < 2:
            parser.error(f"ARGS must be '-p KEY VALUE' pairs, e.g. ARGS=\"-p profile paper -p datasets '[cifar10]'\"; "
                         f"could not read {flag!r}")
        pairs.append([words.pop(0), words.pop(0)])
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hashlib_core", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run-chapter", help="execute one chapter notebook with papermill")
    run.add_argument("name", help=f"chapter name, one of: {', '.join(chapter_names()) or 'none yet'}")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"),
                     help="override a parameter; VALUE is read as YAML (48, [12, 24], true, cifar10)")
    run.add_argument("--args", help="more '-p KEY VALUE' pairs in one string (used by make chapter ARGS=...)")
    run.add_argument("-o", "--output", help="where to write the executed notebook (default book/NAME.ipynb)")
    run.add_argument("--replace-profile", action="store_true",
                     help="allow replacing an executed copy of another profile (e.g. a paper run by a smoke run)")
    commands.add_parser("execute-missing", help="execute every chapter whose executed copy in book/ is missing")
    commands.add_parser("list", help="list the chapters")
    scrub = commands.add_parser("scrub-paths", help="replace machine paths in results files or executed chapters")
    scrub.add_argument("files", nargs="+")
    scrub.add_argument("--path", action="append", default=[], metavar="OLD=PLACEHOLDER",
                       help="a further path to replace, e.g. /work/data='<data root>'")
    args = parser.parse_args(argv)
    if args.command == "list":
        print("\n".join(chapter_names()))
    elif args.command == "scrub-paths":
        from .portable import machine_paths, scrub_file

        extra = dict(item.split("=", 1) for item in args.path)
        for file in args.files:
            print(f"{file}: {scrub_file(file, machine_paths(extra))} path(s) replaced")
    elif args.command == "execute-missing":
        execute_missing_chapters()
    else:
        from pathlib import Path

        parameters = _parameters(args.parameter + _pairs_from_args(args.args, parser), parser)
        try:
            execute_chapter(args.name, parameters, output=Path(args.output) if args.output else None,
                            replace_profile=args.replace_profile)
        except ValueError as error:
            parser.error(str(error))
        except ChapterRunError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
