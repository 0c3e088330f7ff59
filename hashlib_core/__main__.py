"""Command line: ``python -m hashlib_core run-chapter NAME -p key value ...`` and ``execute-missing``."""

from __future__ import annotations

import argparse
import sys

import yaml

from .chapters import chapter_names, execute_chapter, execute_missing_chapters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hashlib_core", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run-chapter", help="execute one chapter notebook with papermill")
    run.add_argument("name", help=f"chapter name, one of: {', '.join(chapter_names()) or 'none yet'}")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"),
                     help="override a parameter; VALUE is read as YAML (48, [12, 24], true, cifar10)")
    run.add_argument("-o", "--output", help="where to write the executed notebook (default book/NAME.ipynb)")
    commands.add_parser("execute-missing", help="execute every chapter whose executed copy in book/ is missing")
    commands.add_parser("list", help="list the chapters")
    args = parser.parse_args(argv)
    if args.command == "list":
        print("\n".join(chapter_names()))
    elif args.command == "execute-missing":
        execute_missing_chapters()
    else:
        from pathlib import Path

        parameters = {key: yaml.safe_load(value) for key, value in args.parameter}
        try:
            execute_chapter(args.name, parameters, output=Path(args.output) if args.output else None)
        except ValueError as error:
            parser.error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
