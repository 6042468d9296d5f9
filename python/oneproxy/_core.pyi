"""Compiled core of oneproxy (pybind11). Use the checked wrappers in :mod:`oneproxy`."""
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

class _pybind11_type(type):  # the metaclass of the bound classes (pybind11_builtins.pybind11_type)
    ...

def last_team_size() -> int: ...
def rank(x: NDArray[np.float64] | NDArray[np.int64] | NDArray[np.uint64]) -> NDArray[np.float64]: ...
def spearman(
    x: NDArray[np.float64] | NDArray[np.int64] | NDArray[np.uint64],
    y: NDArray[np.float64] | NDArray[np.int64] | NDArray[np.uint64],
    omit: bool = False,
    threads: int = 0,
) -> float: ...
def kendall(
    x: NDArray[np.float64] | NDArray[np.int64] | NDArray[np.uint64],
    y: NDArray[np.float64] | NDArray[np.int64] | NDArray[np.uint64],
    omit: bool = False,
    threads: int = 0,
) -> float: ...
def spearman_matrix(
    L: NDArray[np.float64] | NDArray[np.int64] | NDArray[np.uint64],
    pairwise: bool = False,
    threads: int = 0,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]: ...
def kendall_matrix(
    L: NDArray[np.float64] | NDArray[np.int64] | NDArray[np.uint64],
    pairwise: bool = False,
    threads: int = 0,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]: ...
def is_nondominated(
    F: NDArray[np.float64], maximise: Sequence[bool], keep_duplicates: bool = True
) -> NDArray[np.bool_]: ...
def nondominated_sort(F: NDArray[np.float64], maximise: Sequence[bool]) -> NDArray[np.int64]: ...
def hypervolume(F: NDArray[np.float64], ref: NDArray[np.float64]) -> float: ...

class ParetoArchive(metaclass=_pybind11_type):
    def __init__(self, n_objectives: int, copies: str = 'all') -> None: ...
    def add(
        self, points: NDArray[np.float64], tags: NDArray[np.uint64], tags_hi: NDArray[np.uint64] | None = None
    ) -> NDArray[np.int64]: ...
    def merge(self, other: ParetoArchive) -> NDArray[np.int64]: ...
    @property
    def n_objectives(self) -> int: ...
    @property
    def copies(self) -> str: ...
    @property
    def points(self) -> NDArray[np.float64]: ...
    @property
    def tags(self) -> NDArray[np.uint64]: ...
    @property
    def tags_hi(self) -> NDArray[np.uint64]: ...
    def __len__(self) -> int: ...
    def __getstate__(self) -> tuple[int, str, NDArray[np.float64], NDArray[np.uint64], NDArray[np.uint64]]: ...
    def __setstate__(self, state: tuple[int, str, NDArray[np.float64], NDArray[np.uint64], NDArray[np.uint64]]) -> None: ...

def igd(
    F: NDArray[np.float64], reference_front: NDArray[np.float64], plus: bool = False, threads: int = 0
) -> float: ...
def crowding_distance(F: NDArray[np.float64], fronts: NDArray[np.int64] | None = None) -> NDArray[np.float64]: ...
def survivors(F: NDArray[np.float64], cv: NDArray[np.float64], n: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]: ...
def crossover(a: NDArray[np.uint8], b: NDArray[np.uint8], seed: int) -> NDArray[np.uint8]: ...
def mutate(
    c: NDArray[np.uint8],
    seed: int,
    rate: float,
    n_choices: NDArray[np.int64],
    switch: NDArray[np.int64],
    threshold: NDArray[np.int64],
    used_only: bool,
    at_least_one: bool = False,
) -> None: ...
def canonical(
    c: NDArray[np.uint8], n_choices: NDArray[np.int64], switch: NDArray[np.int64], threshold: NDArray[np.int64]
) -> NDArray[np.uint8]: ...
def active(
    c: NDArray[np.uint8], n_choices: NDArray[np.int64], switch: NDArray[np.int64], threshold: NDArray[np.int64]
) -> NDArray[np.bool_]: ...
def archive_add(
    rows: NDArray[np.uint8], store: NDArray[np.uint8], n: int, table: NDArray[np.int64]
) -> tuple[NDArray[np.int64], int]: ...
def nsga2_generation(
    genotypes: NDArray[np.uint8],
    at: NDArray[np.int64],
    F_all: NDArray[np.float64],
    cv_all: NDArray[np.float64],
    n: int,
    ref: NDArray[np.float64],
    children: int,
    crossover_rate: float,
    mutation_rate: float,
    attempts: int,
    n_choices: NDArray[np.int64],
    switch: NDArray[np.int64],
    threshold: NDArray[np.int64],
    store: NDArray[np.uint8],
    n_store: int,
    table: NDArray[np.int64],
    seed: int,
) -> tuple[NDArray[np.uint8], NDArray[np.int64], int, float, int]: ...
def random_bits(seed: int, n: int) -> NDArray[np.uint64]: ...
def scan_additive(
    tables: NDArray[np.float64],
    radix: NDArray[np.uint32],
    constant: NDArray[np.float64],
    start_hi: int,
    start_lo: int,
    stop_hi: int,
    stop_lo: int,
    threads: int = 0,
    progress: Callable[[int], object] | None = None,
    slack: NDArray[np.float64] | None = None,
    exact: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.uint64], NDArray[np.uint64], int]: ...
