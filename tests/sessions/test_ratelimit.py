"""The per-process fixed-window rate limiter."""

from __future__ import annotations

from app.sessions.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_plus_one_is_refused_with_the_seconds_left() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 60, clock=clock)
    assert limiter.hit("a") is None and limiter.hit("a") is None
    clock.now += 20.5
    assert limiter.hit("a") == 40


def test_another_client_has_its_own_window() -> None:
    limiter = RateLimiter(1, 60, clock=Clock())
    limiter.hit("a")
    assert limiter.hit("b") is None


def test_a_new_window_admits_again() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 60, clock=clock)
    limiter.hit("a")
    clock.now += 60
    assert limiter.hit("a") is None


def test_retry_after_counts_nothing() -> None:
    limiter = RateLimiter(1, 60, clock=Clock())
    assert limiter.retry_after("a") is None
    assert limiter.hit("a") is None
    assert limiter.retry_after("a") == 60
