"""AdaProxy: adapt a proxy device's latency predictor to a target from a few target measurements.

Lu et al. (SIGMETRICS 2022) fit the target's latency as the proxy's additive per-choice
weights ``w`` rescaled, plus a small correction:

    target(x) ~ a * proxy(x) + sum_j w_j * b_j * x_j + c,

with ``x`` the one-hot features of an architecture, ``b`` ridge-penalised and ``a``, ``c`` free.
Here it is solved in closed form: the free columns are projected out, one SVD of the remaining
design gives the ridge solution for every lambda at once, and lambda is chosen by K-fold
cross-validation on the *rank* quality (SRCC) of the out-of-fold predictions, which is what
reusing a Pareto set depends on. So that adaptation cannot make things worse, three candidates
are cross-validated on the same folds and the best is kept (``method``), where each candidate
that trusts the proxy less than the one before must win by `PARSIMONY` (0.005 SRCC per step):

- ``"proxy"``: the proxy as it is, up to ``a * proxy(x) + c`` (its ranking unchanged);
- ``"adaproxy"``: the model above at the chosen lambda;
- ``"target-only"``: a ridge fit of the one-hot features to the samples, ignoring the proxy.

With several proxies, ``target(x) ~ sum_k alpha_k * proxy_k(x) + sum_j b_j * x_j + c`` with
``alpha >= 0``: for each lambda the ridge part is eliminated in closed form and ``alpha`` comes
from a small non-negative least-squares problem (``scipy.optimize.nnls``, an active-set method).
Candidates: ``"multi-proxy"`` and ``"target-only"``.

The result is again additive (the sum of additive parts), an
`~oneproxy.predictors.AdaptedLatency`, which scans can use directly.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import nnls

from oneproxy import _arguments, _core
from oneproxy.predictors import AdaptedLatency, Predictor
from oneproxy.spaces import Space
from oneproxy.threads import small_algebra

# AdaptedLatency lives in predictors beside LinearLatency; it is named here as well because it
# was defined here (``from oneproxy.adaptation import AdaptedLatency`` keeps working).
__all__ = ["adapt", "AdaptedLatency", "DEFAULT_LAMBDAS"]

#: How much better in CV SRCC a candidate that trusts the proxy less must be, per step.
PARSIMONY = 0.005

#: Ridge penalties tried, relative to the largest squared singular value of the design.
DEFAULT_LAMBDAS = np.logspace(-4, 2, 7)

#: The candidates, in the order of trusting the proxy less (the order `PARSIMONY` counts in).
ONE_PROXY = ("proxy", "adaproxy", "target-only")
SEVERAL_PROXIES = ("multi-proxy", "target-only")

# A fitted candidate: weights (n_features,), constant (ms), the proxies' coefficients (k,).
_Fit = tuple[NDArray[np.float64], float, NDArray[np.float64]]


# ---------------------------------------------------------------------------- the fit

@overload
def adapt(proxy: Predictor, choices: ArrayLike, target_latency_ms: ArrayLike, *,
          lambdas: ArrayLike | None = ..., cv: int = ..., seed: int = ...,
          methods: Sequence[str] | None = ...) -> AdaptedLatency: ...


@overload
def adapt(proxy: None = ..., *, proxies: Sequence[Predictor], choices: ArrayLike,
          target_latency_ms: ArrayLike, lambdas: ArrayLike | None = ..., cv: int = ..., seed: int = ...,
          methods: Sequence[str] | None = ...) -> AdaptedLatency: ...


@small_algebra
def adapt(proxy: Predictor | None = None, choices: ArrayLike | None = None,
          target_latency_ms: ArrayLike | None = None, *, proxies: Sequence[Predictor] | None = None,
          lambdas: ArrayLike | None = None, cv: int = 5, seed: int = 0,
          methods: Sequence[str] | None = None) -> AdaptedLatency:
    """Adapt one proxy's (or several proxies') latency predictor to a target device.

    Called as ``adapt(proxy, choices, target_latency_ms)`` for one proxy, or as
    ``adapt(proxies=[...], choices=..., target_latency_ms=...)`` for several.

    Parameters
    ----------
    proxy : LinearLatency (or any additive predictor with ``weights`` and a scalar ``constant``)
        The proxy device's predictor. Give ``proxies=[...]`` instead for several.
    choices : array of int, shape (n, space.n_positions)
        The architectures measured on the target (required).
    target_latency_ms : array of float, shape (n,)
        Their measured latency on the target (ms), without NaN (required).
    proxies : sequence of additive predictors, optional
        Several proxies, all over the same space (multi-proxy adaptation).
    lambdas : array of float, optional
        Ridge penalties to cross-validate, relative to the largest squared singular value of
        the design (default `DEFAULT_LAMBDAS`, 1e-4 ... 1e2).
    cv : int, default 5
        Folds; needs at least 2 samples per fold.
    seed : int
        Seed of the fold assignment.
    methods : sequence of str, optional
        The candidates to consider (default all: `ONE_PROXY` ``"proxy", "adaproxy",
        "target-only"`` for one proxy, `SEVERAL_PROXIES` ``"multi-proxy", "target-only"`` for
        several); e.g. ``["target-only"]`` for the target-only baseline on the same samples.

    Returns
    -------
    AdaptedLatency

    Raises
    ------
    ValueError
        For bad or missing arguments, and for a constant `target_latency_ms` (every sample the
        same latency): it has no ranking to adapt to, every candidate's CV SRCC would be
        undefined and the fit a constant, so no model is returned.

    Examples
    --------
    >>> from oneproxy import datasets, predictors
    >>> ds = datasets.load("nb201-oneproxy")
    >>> proxy = predictors.linear_latency(ds, "eagle_gtx")
    >>> rows = np.random.default_rng(0).choice(ds.n_archs, 70, replace=False)
    >>> model = adapt(proxy, ds.choices[rows], ds.latency_of("true_vpu")[rows])
    >>> model.method, round(model.cv_srcc, 2)
    ('adaproxy', 0.93)
    """
    basis = _proxies(proxy, proxies)
    space = basis[0].space
    codes = space.check_choices(_required(choices, "choices", "the architectures measured on the target"))
    y = _target(target_latency_ms, len(codes))
    lams = _lambdas(lambdas)
    folds = _folds(len(y), cv, seed)
    allowed = ONE_PROXY if len(basis) == 1 else SEVERAL_PROXIES
    methods = _methods(methods, allowed)
    X = space.features(codes)
    W = np.stack([space.flat_weights(p.weights) for p in basis], axis=1)  # (F, k)
    c_p = np.array([p.constant for p in basis])
    P = np.column_stack([p.predict(codes) for p in basis])  # (n, k), exactly as the proxies predict
    candidates, designs = _cross_validate(X, P, W[:, 0], y, lams, folds, methods)
    ranked = _ranked(candidates, allowed, len(y), X.shape[1])
    if ranked[0] == "multi-proxy":
        method, fitted = "multi-proxy", _multi_model(X, P, W, c_p, y, candidates["multi-proxy"][1])
    else:
        method, fitted = _single_model(ranked, candidates, designs, P[:, 0], W[:, 0], c_p[0], y, len(basis))
    flat, constant, mix = fitted
    cv_srcc, lam = candidates[method]
    return AdaptedLatency(space, space.weights_table(flat), constant, method=method, lambda_=lam,
                          cv_srcc=cv_srcc, candidates=candidates, mix=mix)


def _proxies(proxy: Predictor | None, proxies: Sequence[Predictor] | None) -> list[Any]:
    if (proxy is None) == (proxies is None):
        raise ValueError("give either proxy (one predictor) or proxies=[...] (several)")
    basis: list[Any] = [proxy] if proxies is None else list(proxies)
    if not basis:
        raise ValueError("proxies must not be empty")
    for k, p in enumerate(basis):
        name = "proxy" if proxies is None else f"proxies[{k}]"
        if not isinstance(getattr(p, "space", None), Space) or not hasattr(p, "weights") \
                or not isinstance(getattr(p, "constant", None), (int, float)):
            raise ValueError(f"{name} must be an additive predictor with weights and a scalar "
                             f"constant (e.g. LinearLatency), got {type(p).__name__}")
        if p.space != basis[0].space:
            raise ValueError(f"{name} is over {p.space!r}, not {basis[0].space!r} like proxies[0]")
    return basis


def _required(value: ArrayLike | None, name: str, what: str) -> ArrayLike:
    if value is None:
        raise ValueError(f"{name} is required: {what}")
    return value


def _target(y: ArrayLike | None, n: int) -> NDArray[np.float64]:
    arr = np.asarray(_required(y, "target_latency_ms", f"the target's latency (ms) of each of the {n} choices"),
                     dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(f"target_latency_ms must have shape ({n},) to match choices, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"target_latency_ms holds {int((~np.isfinite(arr)).sum())} NaN or infinite "
                         f"values; leave those architectures out")
    if (arr <= 0).any():
        k = int(np.argmax(arr <= 0))
        raise ValueError(f"target_latency_ms must be positive (ms), got {arr[k]!r} at position {k}")
    if n and np.ptp(arr) == 0:  # every candidate's CV SRCC would be undefined
        raise ValueError(f"target_latency_ms is constant ({float(arr[0])!r} ms in all {n} samples): there is no "
                         f"ranking to adapt to; measure architectures that differ (or use a finer timer)")
    return arr


def _lambdas(lambdas: ArrayLike | None) -> NDArray[np.float64]:
    lams = DEFAULT_LAMBDAS if lambdas is None else np.asarray(lambdas, dtype=np.float64).ravel()
    if lams.size == 0 or not (np.isfinite(lams) & (lams > 0)).all():
        raise ValueError("lambdas must be positive finite numbers")
    return lams


def _folds(n: int, cv: int, seed: int) -> list[NDArray[np.int64]]:
    """The samples' positions in `cv` random folds."""
    cv = _arguments.integer(cv, "cv", 2)
    if n < 2 * cv:
        raise ValueError(f"cv = {cv} folds need at least {2 * cv} samples (2 per fold), got "
                         f"{n}; measure more architectures or lower cv (at least 2)")
    return np.array_split(np.random.default_rng(_arguments.seed(seed)).permutation(n), cv)


def _methods(methods: Sequence[str] | None, allowed: tuple[str, ...]) -> tuple[str, ...]:
    chosen = allowed if methods is None else tuple(methods)
    if not chosen or not set(chosen) <= set(allowed):
        raise ValueError(f"methods must be a non-empty subset of {allowed} with "
                         f"{'one proxy' if allowed == ONE_PROXY else 'several proxies'}, got {chosen!r}")
    return chosen


def _cross_validate(X: NDArray, P: NDArray, w: NDArray, y: NDArray, lams: NDArray, folds: list[NDArray],
                    methods: tuple[str, ...]) -> tuple[dict[str, tuple[float, float]], dict[str, _Ridge]]:
    """Each candidate's (CV SRCC, lambda) at its best lambda, and the single-proxy candidates'
    designs to fit with; w (F,) is the first proxy's flat weights."""
    ry = _centred_ranks(y)
    ones = np.ones((len(y), 1))
    candidates: dict[str, tuple[float, float]] = {}
    designs: dict[str, _Ridge] = {}
    if {"proxy", "adaproxy"} & set(methods):
        shared = _Ridge(X * w, np.hstack([ones, P]), y)
        designs = {m: d for m, d in (("proxy", shared.without_Z()), ("adaproxy", shared)) if m in methods}
    if "multi-proxy" in methods:
        candidates["multi-proxy"] = _best(_cv_multi(X, P, y, lams, folds), lams)
    if "target-only" in methods:
        designs["target-only"] = _Ridge(X, ones, y)
    grouped = _same_size(folds)
    for name, design in designs.items():
        if name == "proxy":  # a positive rescaling keeps the proxy's ranking: nothing to fit
            candidates[name] = (float(_srcc_rows(P[:, 0][None], ry)[0]), math.nan)
        else:
            candidates[name] = _best(design.cv_srcc(lams, grouped, ry), lams)
    return candidates, designs


def _ranked(candidates: dict[str, tuple[float, float]], allowed: tuple[str, ...], n_samples: int,
            n_features: int) -> list[str]:
    """The candidates to try, best first: each step away from the proxy (proxy, adaproxy,
    target-only) must win by PARSIMONY in CV SRCC; a few samples rank noisily, and the proxy
    knows the whole space."""
    order = [m for m in allowed if m in candidates]
    if len(order) > 1 and n_samples < n_features:
        # Fewer samples than features: a fit that ignores the proxy is not trusted over it,
        # however well it cross-validates on so few points.
        order = [m for m in order if m != "target-only"]
    return sorted(order, key=lambda m: -(candidates[m][0] - PARSIMONY * order.index(m)))


def _single_model(ranked: list[str], candidates: dict[str, tuple[float, float]], designs: dict[str, _Ridge],
                  p: NDArray, w: NDArray, c_p: float, y: NDArray, n_proxies: int) -> tuple[str, _Fit]:
    """The best-ranked one-proxy candidate (or target-only) fitted at its lambda, unless it is
    adaproxy fitted against the proxy (a < 0): the target would rank against the proxy, so the
    next candidate is taken. p (n,) and w (F,) are the proxy's predictions and flat weights,
    c_p its constant."""
    method = ranked[0]
    fitted = _fit_single(method, designs[method], candidates[method][1], p, w, c_p, y, n_proxies)
    if method == "adaproxy" and fitted[2][0] < 0 and len(ranked) > 1:
        method = ranked[1]  # proxy or target-only, which always stand
        fitted = _fit_single(method, designs[method], candidates[method][1], p, w, c_p, y, n_proxies)
    return method, fitted


def _fit_single(method: str, design: _Ridge, lam: float, p: NDArray, w: NDArray, c_p: float, y: NDArray,
                n_proxies: int) -> _Fit:
    b, coef = design.fit(lam)
    a = coef[1] if method != "target-only" else 0.0
    if method == "proxy" and a <= 0:  # a falling fit from few samples: rescale instead
        a = float(y.std() / p.std()) if p.std() > 0 else 1.0
        coef = np.array([y.mean() - a * p.mean(), a])
    flat = a * w + (b * w if method == "adaproxy" else b if method == "target-only" else 0.0)
    mix = np.zeros(n_proxies) if method == "target-only" else np.array([a])
    return flat, float(coef[0] + a * c_p), mix


def _multi_model(X: NDArray, P: NDArray, W: NDArray, c_p: NDArray, y: NDArray, lam: float) -> _Fit:
    """The multi-proxy candidate fitted at lam (relative to `_scale`); W (F, k) and c_p (k,) are
    the proxies' flat weights and constants."""
    alpha, b, c = _fit_multi(X, P, y, lam * _scale(X))
    return W @ alpha + b, float(alpha @ c_p + c), alpha


class _Ridge:
    """Penalised least squares y ~ B coef + Z b with penalty lambda * s1^2 * |b|^2 (coef free),
    s1 the largest singular value of Z with B's columns projected out; Z None: no b.

    One eigendecomposition of the projected Gram matrix serves every lambda, for the fit and
    for cross-validation."""

    def __init__(self, Z: NDArray | None, B: NDArray, y: NDArray) -> None:
        self.Z, self.B, self.y = Z, B, y
        self.Q, self.R = np.linalg.qr(B)
        self.H0 = self.Q @ self.Q.T  # hat matrix of the free columns
        if Z is not None:
            Zt = Z - self.Q @ (self.Q.T @ Z)
            s2, V = np.linalg.eigh(Zt.T @ Zt)
            keep = s2 > s2[-1] * 1e-10 if s2[-1] > 0 else np.zeros(len(s2), dtype=bool)
            self.s2, self.V = s2[keep], V[:, keep]
            self.U = Zt @ self.V / np.sqrt(self.s2)  # left singular vectors
            self.scale = float(s2[-1]) if s2[-1] > 0 else 1.0
            self.Zty = Zt.T @ y

    def without_Z(self) -> _Ridge:
        """The same free columns with no penalised part (shares the projection)."""
        other = object.__new__(_Ridge)
        other.Z, other.B, other.y, other.Q, other.R, other.H0 = None, self.B, self.y, self.Q, self.R, self.H0
        return other

    def fit(self, lam: float) -> tuple[NDArray, NDArray]:
        """b (F,) and coef (k,) at relative penalty lam (ignored without Z)."""
        r = self.y
        b = np.zeros(0)
        if self.Z is not None:
            b = self.V @ ((self.V.T @ self.Zty) / (self.s2 + lam * self.scale))
            r = r - self.Z @ b
        return b, np.linalg.solve(self.R, self.Q.T @ r)

    def cv_srcc(self, lams: NDArray, folds: list[NDArray], ry: NDArray) -> NDArray:
        """SRCC of the K-fold out-of-fold predictions for each lambda (L,); ry: y's centred ranks.

        A penalised least-squares fit with a fixed penalty is a linear smoother, y_hat = H y,
        and its out-of-fold residuals follow from the fit on all samples: for fold f,
        e_f = (I - H_ff)^-1 (y_f - y_hat_f)."""
        y = self.y
        fit = (self.H0 @ y)[None]  # (L, n): H y without forming H for every lambda
        d = np.zeros((1, 0))
        if self.Z is not None:
            d = self.s2 / (self.s2 + lams[:, None] * self.scale)  # (L, r): H = H0 + U diag(d) U'
            fit = fit + (d * (self.U.T @ y)) @ self.U.T
        resid = y - fit
        pred = np.empty_like(resid)
        for f in folds:  # (n_folds, m) arrays of folds of one size, each solved in one batched call
            A = np.eye(f.shape[1]) - self.H0[f[:, :, None], f[:, None, :]]  # (folds, m, m)
            if self.Z is not None:
                Uf = self.U[f]  # (folds, m, r)
                A = A - (Uf[None] * d[:, None, None, :]) @ Uf.transpose(0, 2, 1)  # (L, folds, m, m)
            else:
                A = A[None]
            try:
                e = np.linalg.solve(A, resid[:, f, None])[..., 0]
            except np.linalg.LinAlgError:  # a fold the others cannot predict at all
                e = (np.linalg.pinv(A) @ resid[:, f, None])[..., 0]
            pred[:, f] = y[f] - e
        return _srcc_rows(pred, ry)


def _same_size(folds: list[NDArray]) -> list[NDArray]:
    """Folds grouped by length, each group as an array (n_folds, m)."""
    sizes = sorted({len(f) for f in folds})
    return [np.stack([f for f in folds if len(f) == m]) for m in sizes]


def _scale(X: NDArray) -> float:
    """s1^2 of the centred one-hot design: the unit of multi-proxy lambdas."""
    s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    return float(s[0] ** 2) if len(s) and s[0] > 0 else 1.0


def _fit_multi(X: NDArray, P: NDArray, y: NDArray, lam_abs: float,
               svd: tuple[NDArray, NDArray, NDArray] | None = None) -> tuple[NDArray, NDArray, float]:
    """alpha >= 0 (k,), b (F,), c minimising |y - P alpha - X b - c|^2 + lam_abs * |b|^2."""
    xm, pm, ym = X.mean(axis=0), P.mean(axis=0), y.mean()
    Xc, Pc, yc = X - xm, P - pm, y - ym
    U, s, Vt = np.linalg.svd(Xc, full_matrices=False) if svd is None else svd
    # |S^(1/2) (yc - Pc alpha)|^2 is the objective with b eliminated; S^(1/2) = I - U diag(1 - g) U'
    shrink = 1 - np.sqrt(lam_abs / (s * s + lam_abs))
    A = np.column_stack([Pc, yc])
    A = A - U @ (shrink[:, None] * (U.T @ A))
    alpha = nnls(A[:, :-1], A[:, -1])[0]
    r = yc - Pc @ alpha
    b = Vt.T @ ((s / (s * s + lam_abs)) * (U.T @ r))
    return alpha, b, float(ym - pm @ alpha - xm @ b)


def _cv_multi(X: NDArray, P: NDArray, y: NDArray, lams: NDArray, folds: list[NDArray]) -> NDArray:
    """CV SRCC per lambda (relative to the whole design's `_scale`, the same absolute penalty in
    every fold, as for the single-proxy candidates)."""
    scale = _scale(X)
    out = np.empty((len(lams), len(y)))
    mask = np.ones(len(y), dtype=bool)
    for f in folds:
        mask[f] = False
        Xm, Pm, ym = X[mask], P[mask], y[mask]
        svd = np.linalg.svd(Xm - Xm.mean(axis=0), full_matrices=False)
        for k, lam in enumerate(lams):
            alpha, b, c = _fit_multi(Xm, Pm, ym, lam * scale, svd)
            out[k, f] = P[f] @ alpha + X[f] @ b + c
        mask[f] = True
    return _srcc_rows(out, _centred_ranks(y))


def _centred_ranks(y: NDArray) -> NDArray:
    r = _core.rank(y)
    return r - r.mean()


def _average_ranks(pred: NDArray) -> NDArray:
    """Average ranks (1-based, ties sharing their mean position) of each row of pred (L, n), by
    the core's ranking: additive predictors tie often (a simulator's table with 20 distinct
    values, say)."""
    return np.stack([_core.rank(row) for row in pred]) if len(pred) else np.zeros(pred.shape)


def _srcc_rows(pred: NDArray, ry: NDArray) -> NDArray:
    """SRCC of each row of pred (L, n) with the centred ranks ry; -inf where a row is constant."""
    rp = _average_ranks(pred)
    rp -= rp.mean(axis=1, keepdims=True)
    den = np.sqrt((rp * rp).sum(axis=1) * (ry @ ry))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (rp @ ry) / den
    return np.where(den > 0, r, -np.inf)


def _best(scores: NDArray, lams: Any) -> tuple[float, float]:
    k = int(np.argmax(scores))
    return float(scores[k]), float(lams[k])
