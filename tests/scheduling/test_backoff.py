from __future__ import annotations

import pytest

from imagestreams.scheduling.backoff import failure_delay


def delay(failures, **kwargs):
    kwargs = {"interval": 900.0, "maximum": 6 * 3600.0, "rand": lambda: 0.0, **kwargs}
    return failure_delay(failures, **kwargs)


def test_the_first_retry_waits_one_interval_then_doubles():
    assert [delay(n) for n in (1, 2, 3, 4)] == [900.0, 1800.0, 3600.0, 7200.0]


def test_it_stops_growing_at_the_maximum():
    assert delay(50) == 6 * 3600.0
    assert delay(10_000) == 6 * 3600.0


def test_it_never_retries_sooner_than_the_interval():
    assert delay(1, maximum=60.0) == 900.0


def test_retry_after_wins_even_beyond_the_maximum():
    assert delay(1, retry_after=4000.0) == 4000.0
    assert delay(1, retry_after=30 * 3600.0) == 30 * 3600.0
    assert delay(3, retry_after=10.0) == 3600.0


def test_jitter_only_adds_up_to_a_tenth():
    assert delay(1, rand=lambda: 1.0) == pytest.approx(990.0)
    assert delay(1, rand=lambda: 0.5, retry_after=5000.0) == 5000.0
