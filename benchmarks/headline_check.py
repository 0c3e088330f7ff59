"""Re-train a chapter's networks through the generic run and compare its headline numbers with the committed results.

Used when the training path changes (the chapter-shape port, training-speed
work): the deep method only, classic baselines left out unless asked for.

    python benchmarks/headline_check.py cnnbh --profile paper --code-lengths 12 48 --data-root ~/data

Prints ours beside the committed ``results/<chapter>/<dataset>.json`` and
writes ``results/<chapter>/headline_check/<dataset>.json`` (``.../seed<N>/`` for
another seed, which also draws another protocol: the spread across seeds).
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from hashlib_core.experiment import run_method, write_run_results
from hashlib_core.methods import METHODS
from hashlib_core.results import metric_value, read_results
from hashlib_core.runtime import repository_root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapter", choices=sorted(METHODS))
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--datasets", nargs="*")
    parser.add_argument("--code-lengths", nargs="*", type=int)
    parser.add_argument("--data-root")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--with-baselines", action="store_true")
    parser.add_argument("--precision", choices=["fp32", "bf16"], help="train every stage in this precision")
    arguments = parser.parse_args()
    method = METHODS[arguments.chapter]
    plan = method.plan(arguments.profile, arguments.datasets, arguments.code_lengths)
    folder = repository_root() / "results" / method.chapter
    for name, settings in plan.items():
        if not arguments.with_baselines:
            settings = replace(settings, baselines=())
        if arguments.precision:
            settings = replace(settings, **{field: replace(recipe, precision=arguments.precision)
                                            for field, recipe in settings.recipes.items()})
        run = run_method(method, name, settings, arguments.data_root, seed=arguments.seed)
        committed = read_results(folder / f"{name}.json")
        rows = []
        for bits in settings.code_lengths:
            ours, before = run.headline(method.name, bits), metric_value(committed, run.headline_name, method.name, bits)
            rows.append({"name": f"{run.headline_name} vs committed", "method": method.name, "bits": bits,
                         "value": ours, "committed": before, "difference": ours - before})
            print(f"{method.name} {name} {bits} bits {run.headline_name}: {ours:.4f} (committed {before:.4f}, "
                  f"difference {ours - before:+.4f})", flush=True)
        variant = "-".join(part for part in (f"seed{arguments.seed}" if arguments.seed else "",
                                             arguments.precision or "") if part)
        directory = folder / "headline_check" / variant
        path = write_run_results(run, arguments.profile, extra_rows=rows, directory=directory)
        print("wrote", path.relative_to(repository_root()))


if __name__ == "__main__":
    main()
