"""Small duck-typed stand-ins with closed forms, for testing plots and analyze() steps against
hand-computable values (the real models have their own reference tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


class PoissonModel:
    """Alive customers buy at rate (1 + frequency) / (1 + T); P(alive) = exp(-(T - recency) / 50)."""

    def rate(self, f, T):
        return (1.0 + np.asarray(f, float)) / (1.0 + np.asarray(T, float))

    def p_alive(self, frequency, recency, T):
        return np.exp(-(np.asarray(T, float) - np.asarray(recency, float)) / 50.0)

    def conditional_expected_purchases(self, t, frequency, recency, T):
        return self.p_alive(frequency, recency, T) * self.rate(frequency, T) * np.asarray(t, float)

    def conditional_probability_of_n_purchases(self, t, n, frequency, recency, T):
        pa = self.p_alive(frequency, recency, T)
        mu = self.rate(frequency, T) * t
        return pa * stats.poisson.pmf(n, mu) + (1 - pa) * (n == 0)

    def probability_of_n_purchases(self, t, n):
        return stats.poisson.pmf(n, 0.02 * t)

    def to_json(self):
        return '{"model": "PoissonModel"}'


class StepKM:
    """A fitted-Kaplan-Meier look-alike: survival_function_ and confidence_interval_."""

    def __init__(self):
        times = np.array([0.0, 1.0, 2.0, 4.0])
        self.survival_function_ = pd.DataFrame({"KM_estimate": [1.0, 0.8, 0.5, 0.2]}, index=times)
        self.confidence_interval_ = pd.DataFrame(
            {"lower": [1.0, 0.6, 0.3, 0.05], "upper": [1.0, 0.95, 0.7, 0.4]}, index=times
        )


class ExpRegression:
    """S(t | x) = exp(-t * exp(x0)): a regression model without survival_function_."""

    durations_ = np.array([1.0, 5.0, 10.0])

    def predict_survival_function(self, X, times):
        x = np.asarray(X, float)[:, 0]
        return pd.DataFrame(np.exp(-np.outer(times, np.exp(x))), index=times)
