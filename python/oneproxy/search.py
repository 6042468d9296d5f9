"""Evolutionary multi-objective search (NSGA-II) over a space, on the compiled Pareto core.

Where objectives are not additive (accuracy predictors, measured latency, training) scans do
not apply; `evolve` runs NSGA-II (Deb et al., 2002). Each generation is one call into the C++
core (`nsga2_generation`: survival by non-dominated sorting and crowding distance, with
constrained domination for latency budgets; the survivors' hypervolume; crowded binary
tournaments, the uniform crossover and mutation that `Space.crossover`/`Space.mutate` also
run, canonical rows, and duplicate elimination in a hash table of every architecture
evaluated) and one batch of evaluations of the new architectures only.

Examples
--------
>>> from oneproxy import predictors, spaces
>>> from oneproxy.search import evolve
>>> ofa = spaces.OFAMobileNetV3(range(160, 225, 4))
>>> acc, lat = predictors.ofa_accuracy(ofa), predictors.ofa_note10_latency(ofa)
>>> r = evolve(ofa, [acc, lat], ["max", "min"], population=20, generations=5, progress=False)
>>> r.front.shape[1], len(r.hypervolume) == 6, len(r.evaluated) <= 20 * 6
(2, True, True)
"""
from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from oneproxy import _arguments, _core, checkpoints
from oneproxy.objectives import Objective, check, evaluate
from oneproxy.pareto import nondominated_sort
from oneproxy.progress import Progress
from oneproxy.spaces import Space, get

__all__ = ["SearchResult", "evolve"]

_MATING_ATTEMPTS = 20  # matings per missing child before a generation settles for fewer


@dataclass(frozen=True)
class SearchResult:
    """What `evolve` found.

    Attributes
    ----------
    front : ndarray of float64, shape (F, m)
        Objective values of the final population's non-dominated feasible members (units and
        senses of the objectives), sorted by the first objective.
    choices : ndarray of uint8, shape (F, P)
        Their canonical rows of choices.
    indices : ndarray, shape (F,)
        Their indices in the space: uint64 when the space's indices fit in 64 bits, else Python
        ints (object array).
    evaluated_choices : ndarray of uint8, shape (E, P)
        Every architecture evaluated, as canonical rows in order of evaluation (none twice).
    evaluated_values : ndarray of float64, shape (E, m)
        Their objective values.
    hypervolume : ndarray of float64, shape (generations + 1,)
        Hypervolume of the population's feasible front after each generation (0 = the initial
        population), in the minimised objectives, with reference point `reference`.
    reference : ndarray of float64, shape (m,)
        The initial population's worst value of each minimised objective plus 10 % of its range.
    seconds : float
    space : Space
    """

    front: NDArray[np.float64]
    choices: NDArray[np.uint8]
    indices: NDArray[Any]
    evaluated_choices: NDArray[np.uint8]
    evaluated_values: NDArray[np.float64]
    hypervolume: NDArray[np.float64]
    reference: NDArray[np.float64]
    seconds: float
    space: Space

    @functools.cached_property
    def evaluated(self) -> dict[int, NDArray[np.float64]]:
        """Every architecture evaluated: its index -> its objective values (m,)."""
        return dict(zip(self.space.encode(self.evaluated_choices).tolist(), self.evaluated_values))


def _constraints(constraints: Mapping[int, tuple[str, float]] | None, m: int) -> list[tuple[int, str, float]]:
    if constraints is not None and not isinstance(constraints, Mapping):
        raise ValueError(f"constraints must be a dict {{objective index: ('<=' or '>=', bound)}}, "
                         f"e.g. {{1: ('<=', 25.0)}}, got {constraints!r}")
    out = []
    for k, rule in (constraints or {}).items():
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < m:
            raise ValueError(f"constraints key {k!r} is not an objective index (0-{m - 1})")
        if not (isinstance(rule, tuple) and len(rule) == 2 and rule[0] in ("<=", ">=")):
            raise ValueError(f"constraints[{k}] must be ('<=', bound) or ('>=', bound), got {rule!r}")
        out.append((int(k), rule[0], _arguments.real(rule[1], f"constraints[{k}]'s bound")))
    return out


def _violation(values: NDArray, rules: list[tuple[int, str, float]]) -> NDArray[np.float64]:
    cv = np.zeros(len(values))
    for k, op, bound in rules:
        cv += np.maximum(0.0, values[:, k] - bound) if op == "<=" else np.maximum(0.0, bound - values[:, k])
    return cv


class _Settings(NamedTuple):
    """A search's checked arguments, as the generations use them."""

    population: int
    generations: int
    crossover_rate: float
    mutation: float
    sign: NDArray[np.float64]  # -1 for maximised objectives, +1 for minimised
    rules: list[tuple[int, str, float]]


def _record(evaluated: _core.Evaluated, start: int, values: NDArray[np.float64], s: _Settings) -> None:
    """The values (k, m) of `evaluated`'s rows ``start:start + k``, minimised and judged by the rules."""
    evaluated.record(start, values * s.sign, _violation(values, s.rules))


@dataclass
class _Run:
    """Where a search stands after generation `gen`: the survivors and children (`members`, all
    evaluated, and their positions in `evaluated`), hypervolumes so far, the reference point, the
    random generator and the seconds earlier runs spent."""

    gen: int
    members: NDArray[np.uint8]
    members_at: NDArray[np.int64]
    evaluated: _core.Evaluated
    hv: list[float]
    ref: NDArray[np.float64]
    rng: np.random.Generator
    spent: float


def evolve(space: Space | str, objectives: Sequence[Objective], sense: Sequence[str] | None = None, *,
           population: int = 100, generations: int = 50,
           constraints: Mapping[int, tuple[str, float]] | None = None, seed: int = 0,
           crossover_rate: float = 0.3, mutation_rate: float | None = None,
           evaluator: Callable[[NDArray[np.uint8]], Any] | None = None,
           checkpoint: str | os.PathLike[str] | None = None, progress: bool = True,
           senses: Sequence[str] | None = None) -> SearchResult:
    """NSGA-II over `space`.

    Parameters
    ----------
    space : Space or name
    objectives : sequence of predictors or callables
        Each maps rows of choices (n, P) to values (n,). With `evaluator`, they only name the
        objectives (their count and spaces are checked) and `evaluator` computes them.
    sense : sequence of {"min", "max"}, optional
        Direction of each objective; default all minimised. (``senses``, its old name, is
        deprecated.)
    population, generations : int
        Population size (>= 4) and number of generations.
    constraints : dict, optional
        ``{objective index: ("<=" or ">=", bound)}`` in the objective's units, e.g.
        ``{1: ("<=", 25.0)}`` for a 25 ms latency budget; constrained domination (feasible
        first, then less violation).
    seed : int
    crossover_rate : float
        Probability that a child is the uniform crossover of its two parents rather than a
        copy of the first (before mutation).
    mutation_rate : float, optional
        Probability that each entry of a child changes (`Space.mutate`); default 0.5 / positions.
        The defaults won on once-for-all (see docs/search.md): small steps from good parents
        beat heavy mixing there; raise both for rugged objectives.
    evaluator : callable, optional
        ``evaluator(choices (n, P)) -> values (n, m)``, called once per generation with the new
        architectures only (for expensive objectives: training, measuring).
    checkpoint : path, optional
        Saved after every generation; rerunning the same call resumes and gives the same result
        as an uninterrupted run.
    progress : bool
    """
    t0 = time.perf_counter()
    space = get(space)
    objs, maximise = check(space, objectives, _arguments.renamed(sense, senses, "sense", "senses"))
    m = len(objs)
    population = _arguments.integer(population, "population", 4)
    generations = _arguments.integer(generations, "generations", 0)
    rules = _constraints(constraints, m)
    seed = _arguments.seed(seed)
    crossover_rate = _arguments.real(crossover_rate, "crossover_rate", 0.0, 1.0)
    if mutation_rate is not None:
        mutation_rate = _arguments.real(mutation_rate, "mutation_rate", 0.0, 1.0)
    if space.size < population:
        raise ValueError(f"population ({population}) exceeds the number of architectures in {space.name} ({space.size})")
    settings = _Settings(population, generations, crossover_rate,
                         0.5 / space.n_positions if mutation_rate is None else mutation_rate,
                         np.where(maximise, -1.0, 1.0), rules)
    evaluate = functools.partial(_evaluate, space, objs, evaluator)
    path = None if checkpoint is None else Path(checkpoint)
    # what the objectives compute (their tables, or their values on a fixed probe), not only
    # their types; an evaluator is named by its function (probing it could cost a measurement)
    fingerprint = "" if path is None else checkpoints.fingerprint(
        space, objs if evaluator is None else [], maximise,
        {"m": m, "population": population, "generations": generations, "seed": seed,
         "crossover_rate": crossover_rate, "mutation_rate": mutation_rate, "constraints": rules,
         "evaluator": None if evaluator is None else
         f"{getattr(evaluator, '__module__', '')}.{getattr(evaluator, '__qualname__', type(evaluator).__qualname__)}"})
    run = (None if path is None else _load(path, fingerprint, space.n_positions, m, settings)) or \
        _start(space, settings, seed, evaluate)
    _generations(space, run, settings, evaluate, Progress(progress),
                 None if path is None else functools.partial(_save, path, fingerprint, sign=settings.sign, t0=t0))
    return _result(space, run, settings.sign, run.spent + time.perf_counter() - t0)


def _evaluate(space: Space, objs: Sequence[Objective], evaluator: Callable[[NDArray[np.uint8]], Any] | None,
              c: NDArray[np.uint8]) -> NDArray[np.float64]:
    """The objectives' values (n, m) on new rows `c` (n, P): theirs, or `evaluator`'s; NaN refused."""
    if evaluator is None:
        v = evaluate(objs, c)
    else:
        v = np.asarray(evaluator(c), dtype=np.float64)
        if v.shape != (len(c), len(objs)):
            raise ValueError(f"evaluator must return shape ({len(c)}, {len(objs)}), got {v.shape}")
    if np.isnan(v).any():
        i, k = (int(x[0]) for x in np.nonzero(np.isnan(v)))
        raise ValueError(f"objective {k} is NaN for architecture {space.to_string(c[i])!r}")
    return v


def _start(space: Space, s: _Settings, seed: int, evaluate: Callable[[NDArray[np.uint8]], NDArray]) -> _Run:
    """Generation 0: `population` distinct random architectures, evaluated; the reference point
    is their worst value of each minimised objective plus 10 % of its range."""
    rng = np.random.default_rng(seed)
    evaluated = _core.Evaluated(space.n_positions, len(s.sign))
    members, members_at = _initial(space, s.population, rng, evaluated)
    _record(evaluated, 0, evaluate(evaluated.rows), s)
    F0 = evaluated.F
    ref = F0.max(axis=0) + 0.1 * (F0.max(axis=0) - F0.min(axis=0) + 1e-12)
    return _Run(0, members, members_at, evaluated, [], ref, rng, 0.0)


def _generations(space: Space, run: _Run, s: _Settings, evaluate: Callable[[NDArray[np.uint8]], NDArray],
                 bar: Progress, save: Callable[[_Run], None] | None) -> None:
    """Survival (and, before the last generation, offspring) until generation `s.generations`;
    each generation evaluates its new architectures only, then is saved."""
    evaluated = run.evaluated
    breeding = _core.Breeding(s.crossover_rate, s.mutation, _MATING_ATTEMPTS)
    while True:  # members: the last generation's survivors and children, all evaluated
        children = s.population if run.gen < s.generations else 0
        old = len(evaluated)
        run.members, run.members_at, _, h = _core.nsga2_generation(
            run.members, run.members_at, evaluated, space.layout, breeding, s.population, run.ref, children,
            _arguments.core_seed(run.rng))
        run.hv.append(h)
        if run.gen > 0:
            bar.write(f"generation {run.gen}/{s.generations}  evaluated {old}  hypervolume {h:.6g}",
                      final=run.gen == s.generations)
        if not children:
            return
        if len(evaluated) > old:  # the new architectures among the children
            _record(evaluated, old, evaluate(evaluated.rows_since(old)), s)
        run.gen += 1
        if save is not None:
            save(run)


def _result(space: Space, run: _Run, sign: NDArray[np.float64], seconds: float) -> SearchResult:
    """The final population's non-dominated feasible members, sorted by the first objective."""
    all_rows, all_F = run.evaluated.rows, run.evaluated.F
    F, cv = all_F[run.members_at], run.evaluated.cv[run.members_at]
    values = F * sign  # exact: the signs are +-1
    best = np.flatnonzero(cv <= 0)
    if len(best):
        best = best[nondominated_sort(F[best]) == 0]
        best = best[np.lexsort(F[best].T[::-1])]
    rows = all_rows[run.members_at[best]]
    return SearchResult(values[best], rows, space.encode(rows), all_rows, all_F * sign, np.array(run.hv),
                        run.ref, seconds, space)


def _initial(space: Space, n: int, rng: np.random.Generator,
             evaluated: _core.Evaluated) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """`n` random genotypes of distinct architectures (`Space.sample_genotypes`), added to the
    empty `evaluated` (they take its first `n` positions), and their positions."""
    genotypes = np.empty((0, space.n_positions), np.uint8)
    while len(genotypes) < n:
        g = space.sample_genotypes(n - len(genotypes), rng)
        before = len(evaluated)
        where = evaluated.add(space.canonical(g))
        _, first = np.unique(where, return_index=True)
        first = np.sort(first[where[first] >= before])  # new ones, first copies, in order
        genotypes = np.concatenate([genotypes, g[first]])
    return genotypes, np.arange(n, dtype=np.int64)


def _save(path: Path, fingerprint: str, run: _Run, *, sign: NDArray[np.float64], t0: float) -> None:
    header = {"generation": run.gen, "hv": run.hv, "rng": dict(run.rng.bit_generator.state),
              "seconds": run.spent + time.perf_counter() - t0}
    checkpoints.save(path, "search", fingerprint, header, members=run.members, members_at=run.members_at,
                     evaluated_choices=run.evaluated.rows, evaluated_values=run.evaluated.F * sign,
                     reference=run.ref)


def _load(path: Path, fingerprint: str, positions: int, m: int, s: _Settings) -> _Run | None:
    saved = checkpoints.load(path, "search", fingerprint, fields=("generation", "hv", "rng", "seconds"),
                             expected={"members": ("u", (None, positions)), "members_at": ("iu", (None,)),
                                       "evaluated_choices": ("u", (None, positions)),
                                       "evaluated_values": ("f", (None, m)), "reference": ("f", (m,))})
    if saved is None:
        return None
    header, z = saved
    evaluated = _core.Evaluated(positions, m)
    evaluated.add(z["evaluated_choices"])  # distinct rows: they keep their positions
    _record(evaluated, 0, z["evaluated_values"], s)
    rng = np.random.default_rng()
    rng.bit_generator.state = header["rng"]
    return _Run(int(header["generation"]), z["members"], z["members_at"], evaluated, list(header["hv"]),
                z["reference"], rng, float(header["seconds"]))
