"""Signal clean-up: short-gap filling, zero-lag and causal Butterworth smoothing, noise."""

from __future__ import annotations

import math

import numpy as np
from scipy import signal


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` runs where the 1-D bool ``mask`` is True."""
    padded = np.concatenate([[False], mask, [False]]).astype(int)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2], edges[1::2], strict=True))


def fill_gaps(x: np.ndarray, t: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Linearly interpolate NaN runs of at most ``max_gap_s`` inside ``x`` ``(T, ...)``.

    Gaps at the ends or longer than ``max_gap_s`` stay NaN.
    """
    out = np.array(x, dtype=float, copy=True)
    flat = out.reshape(len(out), -1)
    for k in range(flat.shape[1]):
        col = flat[:, k]
        for a, b in runs(~np.isfinite(col)):
            if a == 0 or b == len(col) or t[b] - t[a - 1] > max_gap_s:
                continue
            col[a:b] = np.interp(t[a:b], [t[a - 1], t[b]], [col[a - 1], col[b]])
    return out


def rolling_percentile(x: np.ndarray, t: np.ndarray, window_s: float, q: float,
                       side: str = "centre", sd: float = np.nan) -> np.ndarray:
    """``(T,)``: the ``q``-th percentile of ``x`` ``(T,)`` over ``window_s`` around each sample.

    ``side``: the window centred on the sample (cut short at the ends), or ending
    (``before``) or starting (``after``) at it, then moved inside the recording where
    it would reach past it (the first or last ``window_s``; the whole recording when
    shorter). NaN samples are left out; NaN where the whole window is. The window is
    counted in samples at the median sample interval. With ``sd`` (the readings'
    noise): each window's :func:`top_level` at ``q`` instead.

    >>> x, t = np.array([1.0, 5.0, 2.0, 8.0]), np.arange(4.0)
    >>> rolling_percentile(x, t, 2.0, 100).tolist()
    [5.0, 5.0, 8.0, 8.0]
    >>> rolling_percentile(x, t, 2.0, 100, "before").tolist()
    [5.0, 5.0, 5.0, 8.0]
    """
    x = np.asarray(x, float)
    n = len(x)
    if n < 2:
        return x.copy()
    half = max(int(round(window_s / 2.0 / float(np.median(np.diff(t))))), 1)
    if side == "centre":
        padded = np.concatenate([np.full(half, np.nan), x, np.full(half, np.nan)])
        windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    else:
        width = min(2 * half + 1, n)
        first = np.arange(n) - (width - 1 if side == "before" else 0)
        windows = np.lib.stride_tricks.sliding_window_view(x, width)[
            np.clip(first, 0, n - width)]
    seen = np.isfinite(windows).any(axis=1)
    out = np.full(n, np.nan)
    if seen.any():
        out[seen] = _top_levels(windows[seen], q, sd)
    return out


TOP_LEVEL_SD = 3.0
"""Readings this many SD under a top percentile are read as scattering about its level
(:func:`top_level`)."""


def top_level(x: np.ndarray, q: float, sd: float = np.nan) -> float:
    """The level the top readings of ``x`` ``(T,)`` scatter about (NaN where none is finite).

    Its ``q``-th percentile or, where lower, the median of the readings within
    :data:`TOP_LEVEL_SD` ``sd`` (their noise) under that: a top percentile of noisy
    readings lies above the level they scatter about (the 90th by 1.3 SD, the 97th by
    1.9), and a resting level read there reads every reading near rest as moved.
    """
    x = x[np.isfinite(x)]
    return float(_top_levels(x[None], q, sd)[0]) if x.size else np.nan


def _top_levels(rows: np.ndarray, q: float, sd: float) -> np.ndarray:
    """:func:`top_level` of each row of ``rows`` ``(N, W)`` (each with a finite reading)."""
    top = np.nanpercentile(rows, q, axis=1)
    if not sd > 0:
        return top
    # Each row holds its top reading, so none is left all NaN here.
    near = np.where(rows >= top[:, None] - TOP_LEVEL_SD * sd, rows, np.nan)
    return np.fmin(top, np.nanmedian(near, axis=1))


def noise_beyond(noise: float, nominal: float) -> float:
    """How much of a reading's ``noise`` (SD) lies beyond ``nominal`` (in quadrature).

    ``nominal``: the noise its thresholds were set for; 0 where not measured (NaN).
    """
    if not math.isfinite(noise):
        return 0.0
    return math.sqrt(max(noise ** 2 - nominal ** 2, 0.0))


def butter_sos(cutoff_hz: float, fs_hz: float, order: int = 2) -> np.ndarray:
    """Low-pass Butterworth second-order sections (cut-off clipped below Nyquist)."""
    wn = min(cutoff_hz / (fs_hz / 2.0), 0.99)
    return signal.butter(order, wn, btype="low", output="sos")


def smooth_zero_lag(x: np.ndarray, fs_hz: float, cutoff_hz: float, order: int = 2) -> np.ndarray:
    """Forward–backward Butterworth low-pass of ``x`` ``(T, ...)`` along time.

    Each finite run is filtered on its own; runs too short to pad are left as
    they are; NaNs stay NaN. For recorded video (no lag).
    """
    sos = butter_sos(cutoff_hz, fs_hz, order)
    out = np.array(x, dtype=float, copy=True)
    flat = out.reshape(len(out), -1)
    padlen = 3 * (2 * len(sos) + 1)
    for k in range(flat.shape[1]):
        col = flat[:, k]
        for a, b in runs(np.isfinite(col)):
            if b - a > padlen:
                col[a:b] = signal.sosfiltfilt(sos, col[a:b])
    return out


def robust_sd(x: np.ndarray) -> float:
    """The spread of the finite readings of ``x`` (1.4826 × MAD; NaN under 5 of them)."""
    x = x[np.isfinite(x)]
    return float(1.4826 * np.median(np.abs(x - np.median(x)))) if x.size >= 5 else np.nan


def reading_jitter(x: np.ndarray) -> float:
    """Frame-to-frame jitter (SD) of readings ``x`` ``(T,)`` of a slow measure.

    The robust spread of each reading from the mean of its neighbours, over √1.5 (what
    it is for independent noise); a movement slow for the frame rate adds little. NaN
    for fewer than 7 readings.
    """
    return robust_sd(x[1:-1] - (x[:-2] + x[2:]) / 2) / np.sqrt(1.5) if x.size >= 7 else np.nan


def length_jitter(points: np.ndarray, pairs: tuple[tuple[int, int], ...]) -> float:
    """Noise of one landmark coordinate, from how the lengths of segments jitter.

    A body segment keeps its length while the body moves, and a length that
    changes with the view (foreshortening) changes smoothly at the frame rate:
    the second difference of each length over consecutive frames is near zero
    but for the noise of its two ends (independent noise ``s`` on every
    coordinate gives the length a noise of ``√2 s`` and its second difference
    ``√12 s``). Per segment the robust (median absolute deviation) spread of
    those differences; of the segments, the quietest quarter's (a limb turning
    quickly in depth, or read at the wrong place for a frame, jitters more).

    Args:
        points: ``(T, K, D)`` landmark positions over consecutive frames (NaN
            where not seen).
        pairs: the segments' landmark indices.

    Returns:
        ``s`` in the points' unit; NaN when fewer than 10 frames have a segment.

    """
    spreads = []
    for a, b in pairs:
        length = np.linalg.norm(points[:, a] - points[:, b], axis=-1)
        d2 = length[2:] - 2.0 * length[1:-1] + length[:-2]
        d2 = d2[np.isfinite(d2)]
        if d2.size >= 10:
            spreads.append(robust_sd(d2) / np.sqrt(12.0))
    return float(np.percentile(spreads, 25)) if spreads else float("nan")


def noise_gain(fs_hz: float, cutoff_hz: float, order: int = 2, causal: bool = False) -> float:
    """Share of white noise's standard deviation a low-pass lets through.

    :func:`smooth_zero_lag` (recorded video), or with ``causal`` :class:`CausalSmoother`.
    """
    impulse = np.zeros(int(8 * fs_hz) + 1)
    if causal:
        impulse[0] = 1.0
        response = signal.sosfilt(butter_sos(cutoff_hz, fs_hz, order), impulse)
    else:
        impulse[len(impulse) // 2] = 1.0
        response = smooth_zero_lag(impulse, fs_hz, cutoff_hz, order)
    return float(np.sqrt(np.sum(response ** 2)))


def noise_cutoff_hz(noise: float, fs_hz: float, cutoff_hz: float, min_cutoff_hz: float,
                    target: float, step_hz: float = 0.25, causal: bool = False) -> float:
    """The highest cut-off that smooths white noise of standard deviation ``noise`` to ``target``.

    Tried from ``cutoff_hz`` down to ``min_cutoff_hz`` in steps of ``step_hz``:
    ``min_cutoff_hz`` when none does, ``cutoff_hz`` when ``noise`` is NaN. ``causal``:
    for :class:`CausalSmoother` (live) rather than :func:`smooth_zero_lag`.
    """
    fc = cutoff_hz
    while fc - step_hz >= min_cutoff_hz - 1e-9 and \
            noise * noise_gain(fs_hz, fc, causal=causal) > target:
        fc -= step_hz
    return fc


class CausalSmoother:
    """Causal Butterworth low-pass for live streams, one value vector per call.

    Keeps filter state between calls; a NaN input resets the channel so the next
    finite value starts the filter afresh (no ringing from stale state).
    """

    def __init__(self, n_channels: int, fs_hz: float, cutoff_hz: float, order: int = 2) -> None:
        self.cutoff_hz = cutoff_hz
        self._sos = butter_sos(cutoff_hz, fs_hz, order)
        self._zi0 = signal.sosfilt_zi(self._sos)[:, None, :]  # (n_sections, 1, 2)
        self._zi = np.zeros((len(self._sos), n_channels, 2))  # (n_sections, C, 2)
        self._live = np.zeros(n_channels, dtype=bool)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Filter one sample per channel ``(C,)`` → ``(C,)`` (all channels in one call)."""
        values = np.asarray(values, dtype=float)
        finite = np.isfinite(values)
        start = finite & ~self._live          # a channel (re)starts at rest at its value
        self._zi[:, start, :] = self._zi0 * values[start][None, :, None]
        y, zi = signal.sosfilt(self._sos, np.where(finite, values, 0.0)[:, None], axis=-1,
                               zi=self._zi)
        self._zi = np.where(finite[None, :, None], zi, self._zi)
        self._live = finite
        return np.where(finite, y[:, 0], np.nan)
