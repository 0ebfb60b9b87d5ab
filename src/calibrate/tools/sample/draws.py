"""Vectorised random draws (categorical codes) and the logistic link, shared by the company
pool and the lead generator."""

from __future__ import annotations

from typing import Any

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def draw(rng: np.random.Generator, probs: Any, n: int) -> np.ndarray:
    """Vectorised categorical draw: codes 0..k-1 with the given probabilities."""
    cdf = np.cumsum(np.asarray(list(probs), dtype=float))
    return np.minimum(np.searchsorted(cdf / cdf[-1], rng.random(n), side="right"), len(cdf) - 1)
