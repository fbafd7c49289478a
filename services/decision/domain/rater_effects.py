"""The rater-effects fit behind calibration v2: rating = item effect + interviewer effect + noise (ADR 0021).

An *item* is one goal of one interview; its effect absorbs how good the candidate was on it, so an
interviewer's effect (severity) is estimated only from items someone else also rated, against everyone
they ever shared an item with, directly or through others. Least squares with the item effects
eliminated (within-item centring) leaves an interviewer-by-interviewer system ``L b = r``: ``L`` is the
graph Laplacian of shared ratings, ``r`` each interviewer's summed deviations from the item means. A ridge
``shrinkage * I`` shrinks thin data toward the pool (a prior of ``shrinkage`` pseudo-items agreeing with
it) and fixes the free level of each connected group of interviewers at mean zero. The level actually
reported is the *median* interviewer's (robust: one deviant in a panel of three does not move the two who
agree). Standard errors are cluster-robust by interview (sandwich ``A⁻¹ M A⁻¹``, ``M`` the summed outer
products of each interview's residual scores, times ``G/(G-1)``): no assumption that all interviewers are
equally noisy, and the goals of one interview may be correlated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class RaterEffects:
    """Per interviewer (by index): severity against the median interviewer, its standard error, support."""

    severity: Floats
    standard_error: Floats
    shared_interviews: Ints


def _pairs(group: Ints) -> tuple[Ints, Ints]:
    """Every ordered pair (j, k), j != k, of row positions in the same group (rows sorted by group)."""
    n = len(group)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[starts, n])
    size = np.repeat(sizes, sizes)
    pos = np.arange(n) - np.repeat(starts, sizes)
    left: list[Ints] = []
    right: list[Ints] = []
    for d in range(1, int(sizes.max())):
        j = np.flatnonzero(pos + d < size)
        left += [j, j + d]
        right += [j + d, j]
    if not left:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(left), np.concatenate(right)


def _outer_sum(group: Ints, index: Ints, weight: Floats, out: Floats) -> None:
    """Add, per group, ``sum_j sum_k weight_j * weight_k`` at ``out[index_j, index_k]`` (rows by group)."""
    np.add.at(out, (index, index), weight * weight)
    j, k = _pairs(group)
    np.add.at(out, (index[j], index[k]), weight[j] * weight[k])


def _item_mean(item: Ints, values: Floats) -> Floats:
    """Each row's item mean of ``values``."""
    return (np.bincount(item, values) / np.maximum(np.bincount(item), 1))[item]


def _laplacian(item: Ints, rater: Ints, raters: int) -> Floats:
    """``X'X - sum_i s_i s_i' / n_i``: the normal equations' matrix once item effects are eliminated."""
    n = np.bincount(item).astype(np.float64)[item]
    out = np.zeros((raters, raters))
    np.add.at(out, (rater, rater), 1.0 - 1.0 / n)
    j, k = _pairs(item)
    np.add.at(out, (rater[j], rater[k]), -1.0 / n[j])
    return out


def _meat(interview: Ints, rater: Ints, residual: Floats, raters: int) -> tuple[Floats, Ints, int]:
    """Summed outer products of each interview's residual scores; shared interviews per rater; clusters."""
    keys, inverse = np.unique(interview * raters + rater, return_inverse=True)  # per interview and rater
    score = np.bincount(inverse, residual).astype(np.float64)
    meat = np.zeros((raters, raters))
    _outer_sum(keys // raters, keys % raters, score, meat)
    shared = np.bincount(keys % raters, minlength=raters).astype(np.int64)
    return meat, shared, len(np.unique(interview))


def fit(
    item: Ints, interview: Ints, rater: Ints, points: Floats, raters: int, shrinkage: float
) -> RaterEffects:
    """Fit the additive model over ratings given as parallel arrays (one row per rating)."""
    shared = np.bincount(item)[item] >= 2  # a rating alone on its item says nothing about its rater
    order = np.lexsort((rater[shared], item[shared]))
    item, interview = item[shared][order], interview[shared][order]
    rater, points = rater[shared][order], points[shared][order]
    centred = points - _item_mean(item, points)
    laplacian = _laplacian(item, rater, raters)
    bread = laplacian + shrinkage * np.eye(raters)
    summed = np.bincount(rater, centred, minlength=raters)
    effect: Floats = np.linalg.solve(bread, summed).astype(np.float64)
    # The meat estimates the noise, so its residuals are the unshrunk least-squares fit's: the ridge's
    # residuals would also hold the shrinkage's bias and widen every interval.
    unshrunk: Floats = np.linalg.lstsq(laplacian, summed)[0].astype(np.float64)
    residual = centred - (unshrunk[rater] - _item_mean(item, unshrunk[rater]))
    meat, per_rater, clusters = _meat(interview, rater, residual, raters)
    half = np.linalg.solve(bread, meat)  # A^-1 M; A is symmetric, so A^-1 M A^-1 = (A^-1 (A^-1 M)')'
    cov = np.linalg.solve(bread, half.T).T * (clusters / max(clusters - 1, 1))
    return _against_median(effect, cov, per_rater > 0, per_rater)


def _against_median(
    effect: Floats, cov: Floats, supported: npt.NDArray[np.bool_], shared: Ints
) -> RaterEffects:
    """Severity against the median interviewer with shared data; its standard error as a contrast."""
    raters = len(effect)
    weight = np.zeros(raters)
    candidates = np.flatnonzero(supported)
    if len(candidates):
        ranked = candidates[np.argsort(effect[candidates], kind="stable")]
        middle = ranked[(len(ranked) - 1) // 2 : len(ranked) // 2 + 1]
        weight[middle] = 1.0 / len(middle)
    severity = effect - weight @ effect
    # Var(b_r - w.b) = V_rr - 2 (V w)_r + w'Vw, for every r at once.
    cov_w = cov @ weight
    variance = np.diag(cov) - 2 * cov_w + weight @ cov_w
    # The reference itself has severity 0 by construction; show its uncertainty against the pool mean.
    reference = weight > 0
    variance[reference] = np.diag(cov)[reference]
    return RaterEffects(severity, np.sqrt(np.maximum(variance, 0.0)), shared)
