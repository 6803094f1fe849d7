"""Write tests/data/synthetic_dose.csv: SYNTHETIC data for testing IP weighting of a continuous treatment.

Generating model (seeded; run ``python tests/data/make_synthetic_dose.py`` to rebuild):
  l1 ~ Normal(0, 1); l2 ~ Bernoulli(0.4)                      (confounders)
  dose = 10 + 2 l1 + 3 l2 + Normal(0, 3)                      (continuous treatment)
  y = 1 + 0.5 dose - 0.02 dose^2 + 2 l1 + 1.5 l2 + Normal(0, 2)  (outcome)
  sex ~ Bernoulli(0.5); treated = 1{dose > 11}                (for the binary-treatment checks)
  observed ~ Bernoulli(expit(2 - 0.8 l1 + 0.5 treated)); y is missing when observed = 0  (censoring)
True marginal dose-response: E[Y^a] = 1 + 0.5 a - 0.02 a^2 + 2*0 + 1.5*0.4.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from course_utils.seeding import rng

PATH = Path(__file__).with_name("synthetic_dose.csv")


def make(n: int = 800) -> pd.DataFrame:
    g = rng(20261201, "synthetic_dose")
    l1 = g.normal(0, 1, n)
    l2 = (g.random(n) < 0.4).astype(int)
    dose = 10 + 2 * l1 + 3 * l2 + g.normal(0, 3, n)
    y = 1 + 0.5 * dose - 0.02 * dose**2 + 2 * l1 + 1.5 * l2 + g.normal(0, 2, n)
    sex = (g.random(n) < 0.5).astype(int)
    treated = (dose > 11).astype(int)
    observed = g.random(n) < 1 / (1 + np.exp(-(2 - 0.8 * l1 + 0.5 * treated)))
    frame = pd.DataFrame({"id": np.arange(1, n + 1), "l1": l1.round(4), "l2": l2, "sex": sex,
                          "dose": dose.round(3), "treated": treated, "y": np.where(observed, y.round(3), np.nan)})
    return frame


if __name__ == "__main__":
    make().to_csv(PATH, index=False)
