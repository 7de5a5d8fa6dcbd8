"""The per-shop token bucket, driven by a fake monotonic clock."""

import pytest

from services.orders.service.rate_limit import TokenBucketLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_refused_with_the_time_until_the_next_token() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(rate_per_s=2, burst=3, clock=clock)

    allowed = [limiter.try_acquire("shop-1") for _ in range(3)]
    refused = limiter.try_acquire("shop-1")

    assert allowed == [0.0, 0.0, 0.0]
    assert refused == pytest.approx(0.5)


def test_tokens_come_back_at_the_rate_but_never_above_the_burst() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(rate_per_s=2, burst=3, clock=clock)
    for _ in range(3):
        limiter.try_acquire("shop-1")

    clock.now += 0.5
    after_half_a_second = [limiter.try_acquire("shop-1") for _ in range(2)]
    clock.now += 3600
    after_an_hour = [limiter.try_acquire("shop-1") for _ in range(4)]

    assert after_half_a_second[0] == 0.0 and after_half_a_second[1] > 0
    assert [wait == 0.0 for wait in after_an_hour] == [True, True, True, False]


def test_each_shop_has_its_own_bucket() -> None:
    limiter = TokenBucketLimiter(rate_per_s=1, burst=1, clock=FakeClock())

    assert limiter.try_acquire("shop-1") == 0.0
    assert limiter.try_acquire("shop-1") > 0
    assert limiter.try_acquire("shop-2") == 0.0


def test_the_number_of_buckets_kept_is_bounded_by_forgetting_the_least_recent() -> None:
    limiter = TokenBucketLimiter(rate_per_s=1, burst=1, clock=FakeClock(), max_keys=2)
    limiter.try_acquire("a")
    limiter.try_acquire("b")
    limiter.try_acquire("a")  # "a" is now the most recently used; "b" is forgotten next
    limiter.try_acquire("c")

    assert limiter.try_acquire("a") > 0  # still remembered, still empty
    assert limiter.try_acquire("b") == 0.0  # forgotten, so it comes back full


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        TokenBucketLimiter(rate_per_s=0, burst=1, clock=FakeClock())
    with pytest.raises(ValueError):
        TokenBucketLimiter(rate_per_s=1, burst=0, clock=FakeClock())


def test_looking_at_a_bucket_takes_no_token() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(rate_per_s=1, burst=2, clock=clock)

    never_seen = limiter.wait_s("client")
    limiter.try_acquire("client")
    looks = [limiter.wait_s("client") for _ in range(5)]
    limiter.try_acquire("client")
    empty = limiter.wait_s("client")
    clock.now += 1
    refilled = limiter.wait_s("client")

    assert never_seen == 0.0
    assert looks == [0.0] * 5
    assert empty == pytest.approx(1.0)
    assert refilled == 0.0
