"""Typed settings every chapter shares: training recipes, classic-baseline runs, one dataset's run of a method.

Introduced in the CNN Based Hashing chapter ("Adding a chapter" in the README
lists who uses what). Every setting is a frozen dataclass validated when it is
built: an unknown field fails at once (``TypeError`` naming it) and a bad value
fails with a ``ValueError`` that names the field, what it must be and what
arrived. Checkpoint keys and results files are derived from these objects
(:func:`settings_record`), never patched by hand.
"""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any, Mapping

__all__ = ["Recipe", "BaselineRun", "RunSettings", "OPTIMIZERS", "SCHEDULES", "settings_record", "key_record",
           "narrow"]

OPTIMIZERS = ("adamw", "adam", "sgd")
SCHEDULES = ("onecycle", "cosine", "constant", "multistep", "step")
PRECISIONS = ("fp32", "bf16")


def _fail(owner: str, name: str, expected: str, value: Any) -> None:
    raise ValueError(f"{owner}.{name} must be {expected}, got {value!r}")


def _check_int(owner: str, name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        _fail(owner, name, f"an integer >= {minimum}", value)


def _check_number(owner: str, name: str, value: Any, *, positive: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (positive and value == 0):
        _fail(owner, name, "a positive number" if positive else "a number >= 0", value)


def _check_choice(owner: str, name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        _fail(owner, name, f"one of {', '.join(map(repr, choices))}", value)


@dataclass(frozen=True)
class Recipe:
    """How one training stage runs: optimiser, learning rate and schedule, weight decay, batches, augmentation.

    ``padding``/``flip``: random crops after zero padding and horizontal flips
    (``padding=0, flip=False``: no augmentation, as for MNIST digits);
    ``brightness``/``contrast``: per-image factors in ``1 +- value`` (0: off).
    ``lr_scales``: ``(("stem", 0.1),)`` lets a named top-level submodule learn
    at a fraction of ``lr`` (a pre-trained stem under new layers).
    ``schedule="multistep"``: ``lr`` times ``gamma`` at each of ``milestones``
    (fractions of the run, e.g. ``(5/9, 7/9)``); ``schedule="step"``: ``lr``
    times ``gamma`` every ``step_iterations`` mini-batches, whatever the epochs. ``ema_decay``: keep an
    exponential moving average of the weights and end with it. ``precision``:
    ``"fp32"``, or ``"bf16"`` (autocast, float32 master weights).
    """

    epochs: int
    lr: float = 3e-3
    weight_decay: float = 0.1
    optimizer: str = "adamw"
    schedule: str = "onecycle"
    batch_size: int = 100
    padding: int = 2
    flip: bool = True
    lr_scales: tuple[tuple[str, float], ...] = ()
    milestones: tuple[float, ...] = ()
    gamma: float = 0.1
    ema_decay: float | None = None
    precision: str = "fp32"
    brightness: float = 0.0
    contrast: float = 0.0
    step_iterations: int | None = None

    def __post_init__(self) -> None:
        _check_int("Recipe", "epochs", self.epochs, 1)
        for name in ("brightness", "contrast"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
                _fail("Recipe", name, "a number in [0, 1), e.g. 0.2 for factors in 0.8 .. 1.2", value)
        _check_number("Recipe", "lr", self.lr, positive=True)
        _check_number("Recipe", "weight_decay", self.weight_decay, positive=False)
        _check_choice("Recipe", "optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("Recipe", "schedule", self.schedule, SCHEDULES)
        _check_int("Recipe", "batch_size", self.batch_size, 2)
        _check_int("Recipe", "padding", self.padding, 0)
        if not isinstance(self.flip, bool):
            _fail("Recipe", "flip", "True or False", self.flip)
        scales = tuple(tuple(pair) for pair in (self.lr_scales.items() if isinstance(self.lr_scales, Mapping)
                                                 else self.lr_scales))
        for pair in scales:
            if len(pair) != 2 or not isinstance(pair[0], str) or isinstance(pair[1], bool) \
                    or not isinstance(pair[1], (int, float)) or pair[1] <= 0:
                _fail("Recipe", "lr_scales", "pairs (submodule name, positive scale), e.g. (('stem', 0.1),)",
                      self.lr_scales)
        object.__setattr__(self, "lr_scales", scales)
        milestones = tuple(self.milestones)
        if any(isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1
               for value in milestones) or list(milestones) != sorted(milestones):
            _fail("Recipe", "milestones", "increasing fractions of the run in (0, 1), e.g. (5/9, 7/9)", self.milestones)
        if (self.schedule == "multistep") != bool(milestones):
            _fail("Recipe", "milestones", "given exactly when schedule='multistep'", self.milestones)
        object.__setattr__(self, "milestones", milestones)
        if (self.schedule == "step") != (self.step_iterations is not None):
            _fail("Recipe", "step_iterations", "given exactly when schedule='step', e.g. 20000", self.step_iterations)
        if self.step_iterations is not None:
            _check_int("Recipe", "step_iterations", self.step_iterations, 1)
        _check_number("Recipe", "gamma", self.gamma, positive=True)
        if self.ema_decay is not None and (isinstance(self.ema_decay, bool) or not 0 < self.ema_decay < 1):
            _fail("Recipe", "ema_decay", "None or a number in (0, 1), e.g. 0.999", self.ema_decay)
        _check_choice("Recipe", "precision", self.precision, PRECISIONS)

    def schedule_factory(self):
        """What :func:`hashlib_core.train.fit` takes as ``schedule``: the name, or for ``multistep`` a
        ``(optimizer, total_steps) -> scheduler`` callable."""
        if self.schedule not in ("multistep", "step"):
            return self.schedule
        import torch

        if self.schedule == "step":
            every, factor = self.step_iterations, self.gamma
            return lambda optimizer, total: torch.optim.lr_scheduler.StepLR(optimizer, every, factor)

        milestones, gamma = self.milestones, self.gamma
        return lambda optimizer, total: torch.optim.lr_scheduler.MultiStepLR(
            optimizer, [int(total * fraction) for fraction in milestones], gamma)

    def augmentation(self):
        """The batched augmentation (:class:`hashlib_core.train.Augmentation`), or None when there is none."""
        from .train import Augmentation

        if not (self.padding or self.flip or self.brightness or self.contrast):
            return None
        return Augmentation(self.padding, self.flip, self.brightness, self.contrast)


def _constructor_options(callable_: Any) -> set[str] | None:
    """Keyword names a class or function accepts (None: it takes ``**kwargs``)."""
    parameters = inspect.signature(callable_).parameters.values()
    if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters):
        return None
    return {parameter.name for parameter in parameters}


@dataclass(frozen=True)
class BaselineRun:
    """One classic baseline of a chapter run: its name (``lsh``, ``itq``, ``ksh``, ...) and constructor options.

    Fitted on the split its sources name (:data:`hashlib_core.baselines.runs.FIT_SPLIT`)
    of the run's protocol, on ``feature`` (a kind of :func:`hashlib_core.features.dataset_features`; None:
    the run's classic feature).
    """

    method: str
    options: Mapping[str, Any] = field(default_factory=dict)
    feature: str | None = None

    def __post_init__(self) -> None:
        from .baselines import BASELINES

        _check_choice("BaselineRun", "method", self.method, tuple(BASELINES))
        accepted = _constructor_options(BASELINES[self.method])
        unknown = set(self.options) - (accepted or set(self.options)) - {"fit_split"}
        if unknown:
            _fail("BaselineRun", "options", f"options of {self.method} ({', '.join(sorted(accepted - {'self'}))})",
                  dict(self.options))
        object.__setattr__(self, "options", dict(self.options))
        from .features import is_feature_kind

        if self.feature is not None and not is_feature_kind(self.feature):
            _fail("BaselineRun", "feature", "None (the run's feature) or a feature kind (gist512, gist320, pixels or "
                  "lite0-<N>px)", self.feature)

    @property
    def label(self) -> str:
        """The name the book's tables use (``LSH``, ``ITQ-CCA``, ``ITQ on lite0-128px``)."""
        return self.method.upper() + (f" on {self.feature}" if self.feature else "")


@dataclass(frozen=True)
class RunSettings:
    """One dataset's run of a deep hashing method: what is trained, on which protocol, against what.

    ``protocol``/``protocol_options``: a named protocol of
    :mod:`hashlib_core.protocols` and its size settings; ``recipe``: the
    training of each code length's network (methods with more stages extend
    this class); ``feature``: the classic feature the ``baselines`` run on;
    ``report_ks``: the k of the precision@k curves; ``map_depth``: the depth of
    the headline mAP (None: the whole ranking); ``extra_query_sets``: further
    query sets on the same database for mAP at ``map_depth``, as protocol
    overrides (DLBHC: ``{"all test queries": {"n_queries": None}}``).
    """

    code_lengths: tuple[int, ...]
    recipe: Recipe
    protocol: str
    protocol_options: Mapping[str, Any] = field(default_factory=dict)
    feature: str = "pixels"
    baselines: tuple[BaselineRun, ...] = ()
    report_ks: tuple[int, ...] = (1, 10, 50, 100, 200, 500, 1000)
    map_depth: int | None = None
    extra_query_sets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from .features import is_feature_kind
        from .protocols import DEFAULTS

        owner = type(self).__name__
        lengths = tuple(self.code_lengths) if isinstance(self.code_lengths, (list, tuple)) else None
        if not lengths or any(isinstance(bits, bool) or not isinstance(bits, int) or bits < 1 for bits in lengths):
            _fail(owner, "code_lengths", "a non-empty list of positive integers", self.code_lengths)
        object.__setattr__(self, "code_lengths", lengths)
        if not isinstance(self.recipe, Recipe):
            _fail(owner, "recipe", "a Recipe", self.recipe)
        _check_choice(owner, "protocol", self.protocol, tuple(DEFAULTS))
        for options in (self.protocol_options, *self.extra_query_sets.values()):
            unknown = set(options) - set(DEFAULTS[self.protocol])
            if unknown:
                _fail(owner, "protocol_options", f"settings of protocol {self.protocol!r} "
                      f"({', '.join(sorted(DEFAULTS[self.protocol]))})", dict(options))
        if not is_feature_kind(self.feature):
            _fail(owner, "feature", "a feature kind (gist512, gist320, pixels or lite0-<N>px)", self.feature)
        if not all(isinstance(baseline, BaselineRun) for baseline in self.baselines):
            _fail(owner, "baselines", "a tuple of BaselineRun", self.baselines)
        object.__setattr__(self, "baselines", tuple(self.baselines))
        if not self.report_ks or any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in self.report_ks):
            _fail(owner, "report_ks", "positive integers", self.report_ks)
        object.__setattr__(self, "report_ks", tuple(self.report_ks))
        if self.map_depth is not None:
            _check_int(owner, "map_depth", self.map_depth, 1)
        object.__setattr__(self, "protocol_options", dict(self.protocol_options))
        object.__setattr__(self, "extra_query_sets", {name: dict(options)
                                                      for name, options in self.extra_query_sets.items()})

    @property
    def recipes(self) -> dict[str, Recipe]:
        """Every recipe of the run by field name (``recipe``, and ``pretrain`` where a subclass adds one)."""
        return {item.name: getattr(self, item.name) for item in fields(self)
                if isinstance(getattr(self, item.name), Recipe)}


def settings_record(settings: Any) -> Any:
    """Settings as plain JSON-able data (dataclasses -> dicts, tuples -> lists), for keys and results files."""
    if is_dataclass(settings) and not isinstance(settings, type):
        return {name: settings_record(value) for name, value in asdict(settings).items()}
    if isinstance(settings, Mapping):
        return {str(key): settings_record(value) for key, value in settings.items()}
    if isinstance(settings, (list, tuple)):
        return [settings_record(value) for value in settings]
    return settings


# Recipe fields added after checkpoints of earlier runs existed: checkpoint keys leave them out while they hold
# their defaults, so those checkpoints keep their keys (a run that sets one gets a new key, as it should)
KEY_OMITTED_DEFAULTS = {"brightness": 0.0, "contrast": 0.0, "step_iterations": None}


def key_record(settings: Any) -> Any:
    """:func:`settings_record` for checkpoint keys: the same, minus :data:`KEY_OMITTED_DEFAULTS` at their defaults."""
    def omit(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: omit(item) for key, item in value.items()
                    if not (key in KEY_OMITTED_DEFAULTS and item == KEY_OMITTED_DEFAULTS[key])}
        if isinstance(value, list):
            return [omit(item) for item in value]
        return value

    return omit(settings_record(settings))


def narrow(profile: Mapping[str, RunSettings], datasets: list[str] | None = None,
           code_lengths: list[int] | None = None, epochs: int | None = None,
           recipe_field: str = "recipe") -> dict[str, RunSettings]:
    """A profile's runs (``{dataset: settings}``), optionally narrowed to some datasets / code lengths or with
    other epochs for the recipe ``recipe_field``; the profile itself is never modified. A single dataset name
    or code length stands for a list of one."""
    plan = dict(profile)
    if isinstance(datasets, str):
        datasets = [datasets]  # one dataset named on its own (``-p datasets cifar10``)
    if isinstance(code_lengths, int) and not isinstance(code_lengths, bool):
        code_lengths = [code_lengths]  # one code length (``-p code_lengths 48``)
    if datasets is not None:
        if not isinstance(datasets, (list, tuple)) or not all(isinstance(name, str) for name in datasets):
            raise ValueError(f"datasets must be a list of dataset names, e.g. ['cifar10'], got {datasets!r}")
        unknown = set(datasets) - set(plan)
        if unknown:
            raise ValueError(f"this profile runs {sorted(plan)}; {sorted(unknown)} are not among them")
        plan = {name: plan[name] for name in datasets}
    changes: dict[str, Any] = {}
    if code_lengths is not None:
        if isinstance(code_lengths, (str, bytes)) or not isinstance(code_lengths, (list, tuple)):
            raise ValueError(f"code_lengths must be a list of positive integers, e.g. [12, 48], got {code_lengths!r}")
        changes["code_lengths"] = tuple(code_lengths)
    if epochs is not None:
        _check_int("run", "epochs", epochs, 1)
    narrowed = {}
    for name, settings in plan.items():
        updated = replace(settings, **changes)
        if epochs is not None:
            updated = replace(updated, **{recipe_field: replace(getattr(updated, recipe_field), epochs=int(epochs))})
        narrowed[name] = updated
    return narrowed
