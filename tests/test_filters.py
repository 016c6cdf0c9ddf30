"""Gap filling and smoothing."""

import numpy as np
import pytest

from formcheck.filters import (
    CausalSmoother,
    fill_gaps,
    length_jitter,
    noise_cutoff_hz,
    noise_gain,
    rolling_percentile,
    smooth_zero_lag,
)


def test_short_gaps_are_filled_long_ones_and_ends_kept():
    t = np.arange(20) / 10.0
    x = np.arange(20, dtype=float)
    x[[0, 5, 6, 12, 13, 14, 15, 16, 17]] = np.nan  # end gap, 0.3 s gap, 0.7 s gap
    out = fill_gaps(x, t, max_gap_s=0.4)
    assert np.isnan(out[0])
    np.testing.assert_allclose(out[5:7], [5, 6])
    assert np.isnan(out[12:18]).all()


def test_zero_lag_smoothing_keeps_timing_and_removes_jitter():
    fs = 30.0
    t = np.arange(0, 6, 1 / fs)
    clean = 40 * np.exp(-((t - 3) ** 2))  # a 40° bump peaking at 3 s
    noisy = clean + np.random.default_rng(0).normal(0, 2, t.size)
    out = smooth_zero_lag(noisy, fs, cutoff_hz=4)
    assert t[np.argmax(out)] == pytest.approx(3.0, abs=1 / fs)
    assert np.std(out - clean) < 0.6 * np.std(noisy - clean)


def test_zero_lag_leaves_nan_runs_alone():
    x = np.r_[np.ones(30), np.full(5, np.nan), np.ones(30) * 2]
    out = smooth_zero_lag(x, 30, 4)
    assert np.isnan(out[30:35]).all()
    np.testing.assert_allclose(out[:30], 1, atol=1e-6)


def test_causal_smoother_lags_but_settles_and_restarts_after_nan():
    s = CausalSmoother(1, fs_hz=30, cutoff_hz=4)
    ys = [s(np.array([0.0]))[0] for _ in range(5)] + [s(np.array([10.0]))[0] for _ in range(30)]
    assert ys[5] < 10 and ys[-1] == pytest.approx(10, abs=0.1)
    assert np.isnan(s(np.array([np.nan]))[0])
    assert s(np.array([50.0]))[0] == pytest.approx(50)  # no ringing from stale state


def _swinging_leg(t: np.ndarray) -> np.ndarray:
    """``(T, 3, 2)`` hip, knee, ankle of a leg swinging quickly (a lift a second)."""
    hip = np.zeros((t.size, 2))
    a = np.radians(45 * (1 - np.cos(2 * np.pi * t)))          # thigh 0-90° from the vertical
    knee = hip + 100 * np.stack([np.sin(a), np.cos(a)], -1)
    ankle = knee + 100 * np.stack([np.zeros_like(a), np.ones_like(a)], -1)
    return np.stack([hip, knee, ankle], 1)


def test_length_jitter_reads_the_landmarks_noise_not_the_movement():
    t = np.arange(0, 10, 0.1)
    leg = _swinging_leg(t)
    pairs = ((0, 1), (1, 2))
    assert length_jitter(leg, pairs) < 0.05  # moving quickly, no noise: near 0
    for sigma in (1.0, 3.0):
        noisy = leg + np.random.default_rng(1).normal(0, sigma, leg.shape)
        assert length_jitter(noisy, pairs) == pytest.approx(sigma, rel=0.3)
    assert np.isnan(length_jitter(leg[:5], pairs))


def test_noisier_signals_get_a_lower_cutoff_down_to_the_minimum():
    fs = 10.0
    assert noise_gain(fs, 2.0) < noise_gain(fs, 4.0) < 1.0
    assert noise_cutoff_hz(0.3, fs, 4.0, 2.0, 1.0) == 4.0     # steady: the default
    mid = noise_cutoff_hz(1.4, fs, 4.0, 2.0, 1.0)
    assert 2.0 < mid < 4.0 and 1.4 * noise_gain(fs, mid) <= 1.0
    assert noise_cutoff_hz(6.0, fs, 4.0, 2.0, 1.0) == 2.0     # very noisy: the minimum
    assert noise_cutoff_hz(float("nan"), fs, 4.0, 2.0, 1.0) == 4.0


def test_rolling_percentile_before_after_and_around_each_sample():
    t = np.arange(10) / 10.0
    x = np.array([0, 1, 2, 3, 4, 5, 6, 7, np.nan, 9.0])
    # 0.4 s: two samples either side, or four before or after, moved inside the recording
    assert rolling_percentile(x, t, 0.4, 100).tolist() == [2, 3, 4, 5, 6, 7, 7, 9, 9, 9]
    assert rolling_percentile(x, t, 0.4, 100, "before").tolist() == [4, 4, 4, 4, 4, 5, 6, 7, 7, 9]
    assert rolling_percentile(x, t, 0.4, 0, "after").tolist() == [0, 1, 2, 3, 4, 5, 5, 5, 5, 5]
    # a recording shorter than the window: all of it
    assert rolling_percentile(x[:3], t[:3], 1.0, 100, "after").tolist() == [2, 2, 2]
