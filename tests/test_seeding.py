"""One documented helper for random draws (seeding.py)."""

import numpy as np
import pytest

from course_utils.seeding import COURSE_SEED, rng


def test_same_seed_same_draws_and_default_is_course_seed():
    assert np.array_equal(rng(7).normal(size=5), rng(7).normal(size=5))
    assert np.array_equal(rng().normal(size=5), rng(COURSE_SEED).normal(size=5))


def test_named_streams_are_independent_and_reproducible():
    a1, a2, b = rng(7, "a").random(3), rng(7, "a").random(3), rng(7, "b").random(3)
    assert np.array_equal(a1, a2) and not np.array_equal(a1, b)


@pytest.mark.parametrize("bad", [-1, 1.5, "7", True])
def test_bad_seeds_are_rejected(bad):
    with pytest.raises(ValueError, match="non-negative whole number"):
        rng(bad)
