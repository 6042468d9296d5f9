"""oneproxy: hardware-aware neural architecture search with one proxy device."""
from importlib.metadata import PackageNotFoundError, version

from oneproxy.correlation import (
    ConstantInputWarning,
    kendall,
    kendall_matrix,
    rank,
    spearman,
    spearman_ci,
    spearman_matrix,
)
from oneproxy.adaptation import adapt
from oneproxy.predictors import AdaptedLatency
from oneproxy.pareto import (
    ParetoArchive,
    crowding_distance,
    hypervolume,
    hypervolume_ratio,
    igd,
    igd_plus,
    is_nondominated,
    nondominated_sort,
    pareto_front,
)
from oneproxy.threads import get_threads, set_threads, thread_limit
from oneproxy.workflow import (
    Monotonicity,
    PairAdaptation,
    PairReuse,
    Reuse,
    Study,
    adapt_pair,
    monotonicity,
    pareto_set,
    reuse,
    reuse_pair,
    samples_curve,
    study,
)

# Submodules load on first use (``oneproxy.scan.scan(...)`` works after ``import oneproxy``),
# as scipy does, so that ``import oneproxy`` does not pay for the scans, ONNX or plotting. Numba
# and scipy do load with it (the predictors and spaces above need them): about 0.6 s.
_SUBMODULES = frozenset({
    "adaptation", "bench", "checkpoints", "cli", "correlation", "datasets", "demo", "device",
    "export", "fronts", "measure", "networks", "objectives", "pareto", "plots", "predictors",
    "progress", "scan", "search", "spaces", "threads", "workflow",
})


def __getattr__(name: str) -> object:
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"oneproxy.{name}")
    raise AttributeError(f"module 'oneproxy' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES)


try:
    __version__ = version("oneproxy")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

__all__ = [
    "AdaptedLatency",
    "get_threads",
    "set_threads",
    "thread_limit",
    "ConstantInputWarning",
    "Monotonicity",
    "PairAdaptation",
    "PairReuse",
    "Reuse",
    "Study",
    "adapt",
    "adapt_pair",
    "monotonicity",
    "pareto_set",
    "reuse",
    "reuse_pair",
    "samples_curve",
    "study",
    "ParetoArchive",
    "crowding_distance",
    "hypervolume",
    "hypervolume_ratio",
    "igd",
    "igd_plus",
    "kendall",
    "is_nondominated",
    "kendall_matrix",
    "nondominated_sort",
    "pareto_front",
    "rank",
    "spearman",
    "spearman_ci",
    "spearman_matrix",
]
