"""The split and its refunds against an independent oracle written from DOMAIN.md.

The oracle below uses only the contract's formulas over exact fractions (it imports nothing of the
ledger's arithmetic): round half up on the exact rational value, the legs of "The split", the rule
of "Exact to the unit across services" that no leg is ever negative (the shortfall is taken from
the commission), and for refunds the contract's bounds: each leg's cumulative reversal is within
one minor unit of ``leg * refunded / paid_total``, never moves backwards, and is exact at a full
refund. 100,000 seeded random orders with refund sequences (tiny orders included) are checked,
plus a hypothesis test that shrinks any counterexample.
"""

import random
from dataclasses import dataclass
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from services.ledger.domain.order import Agency, OrderLine, PlacedOrder, SplitTerms
from services.ledger.domain.reversal import reverse_cancellation, reverse_refund
from services.ledger.domain.split import compute_split

ORDERS = 100_000
LEG_ORDER = ("merchant_net", "creator_net", "agency_share", "platform_fee", "platform_cut", "tax")


def round_half_up(value: Fraction) -> int:
    return int((value + Fraction(1, 2)).__floor__())


def bps(amount: int | Fraction, rate: int) -> int:
    return round_half_up(Fraction(amount) * rate / 10_000)


@dataclass(frozen=True)
class Line:
    quantity: int
    unit_price: int
    discount: int
    rate_bps: int


@dataclass(frozen=True)
class Order:
    lines: tuple[Line, ...]
    shipping_fee: int
    fee_bps: int
    cut_bps: int
    tax_bps: int
    has_creator: bool
    agency_bps: int | None


def paid_total_of(order: Order) -> int:
    bases = (line.unit_price * line.quantity - line.discount for line in order.lines)
    return sum(bases) + order.shipping_fee


def oracle_legs(order: Order) -> dict[str, int]:
    """DOMAIN.md "The split", plus "no leg is ever negative" (shortfall taken from commission)."""
    bases = [line.unit_price * line.quantity - line.discount for line in order.lines]
    base = sum(bases)
    paid_total = base + order.shipping_fee
    if order.has_creator:
        commission = sum(bps(b, line.rate_bps) for b, line in zip(bases, order.lines, strict=True))
    else:
        commission = 0
    platform_fee = bps(base, order.fee_bps)
    commission = min(commission, paid_total - platform_fee)
    platform_cut = bps(commission, order.cut_bps)
    agency = bps(commission - platform_cut, order.agency_bps) if order.agency_bps is not None else 0
    creator_gross = commission - platform_cut - agency
    tax = bps(creator_gross, order.tax_bps)
    return {
        "merchant_net": paid_total - platform_fee - commission,
        "creator_net": creator_gross - tax,
        "agency_share": agency,
        "platform_fee": platform_fee,
        "platform_cut": platform_cut,
        "tax": tax,
    }


def placed(order: Order) -> PlacedOrder:
    return PlacedOrder(
        order_id="o-1",
        shop_id="shop-1",
        currency="IDR",
        lines=tuple(
            OrderLine(f"sku-{i}", line.quantity, line.unit_price, line.discount, line.rate_bps, "p")
            for i, line in enumerate(order.lines)
        ),
        shipping_fee=order.shipping_fee,
        terms=SplitTerms(order.fee_bps, order.cut_bps, order.tax_bps),
        creator_id="creator-1" if order.has_creator else None,
        agency=Agency("mcn-1", order.agency_bps) if order.agency_bps is not None else None,
    )


def check_order(order: Order, refunds: list[int], cancel: bool) -> None:
    """Split equals the oracle; every refund, then a cancellation, obeys the contract's bounds."""
    expected = oracle_legs(order)
    split = compute_split(placed(order))
    got = dict(zip(LEG_ORDER, split.legs.amounts(), strict=True))
    assert got == expected, (order, got, expected)
    assert all(amount >= 0 for amount in got.values())
    paid_total = split.paid_total
    assert sum(got.values()) == paid_total
    reversed_so_far = dict.fromkeys(LEG_ORDER, 0)
    refunded = 0
    for amount in refunds:
        reversal = reverse_refund(split, refunded, refunded + amount)
        refunded += amount
        moved = dict(zip(LEG_ORDER, reversal.legs.amounts(), strict=True))
        assert sum(moved.values()) == amount
        for leg in LEG_ORDER:
            assert moved[leg] >= 0, ("a leg moved backwards", order, refunds, leg)
            reversed_so_far[leg] += moved[leg]
            exact = Fraction(got[leg] * refunded, paid_total)
            assert exact - 1 < reversed_so_far[leg] < exact + 1, (order, refunds, leg)
    if refunded == paid_total:
        assert reversed_so_far == got
    if cancel:
        rest = dict(
            zip(LEG_ORDER, reverse_cancellation(split, refunded).legs.amounts(), strict=True)
        )
        assert all(amount >= 0 for amount in rest.values())
        assert {leg: reversed_so_far[leg] + rest[leg] for leg in LEG_ORDER} == got


def random_order(rng: random.Random) -> Order:
    tiny = rng.random() < 0.4
    top = 10 if tiny else 10 ** rng.randint(2, 12)
    lines = []
    for _ in range(rng.randint(1, 8 if tiny else 4)):
        unit_price = rng.randint(0, top)
        quantity = rng.randint(1, 3 if tiny else 20)
        discount = rng.randint(0, unit_price * quantity) if rng.random() < 0.3 else 0
        lines.append(
            Line(
                quantity,
                unit_price,
                discount,
                rng.choice([0, 100, 500, 2000, 8000, rng.randint(0, 10_000)]),
            )
        )
    return Order(
        lines=tuple(lines),
        shipping_fee=rng.choice([0, rng.randint(0, top)]),
        fee_bps=rng.choice([400, 500, 600, 900, rng.randint(0, 10_000)]),
        cut_bps=rng.choice([0, 1000, rng.randint(0, 10_000)]),
        tax_bps=rng.choice([0, 1000, rng.randint(0, 10_000)]),
        has_creator=rng.random() < 0.9,
        agency_bps=rng.choice([None, 2000, rng.randint(0, 10_000)]),
    )


def random_refunds(rng: random.Random, paid_total: int) -> list[int]:
    refunds, left = [], paid_total
    for _ in range(rng.randint(0, 5)):
        if not left:
            break
        amount = rng.choice([1, left, rng.randint(1, left), rng.randint(1, max(1, left // 3))])
        refunds.append(amount)
        left -= amount
    return refunds


def test_100000_random_orders_and_refund_sequences_agree_with_the_oracle() -> None:
    rng = random.Random(10)
    for _ in range(ORDERS):
        order = random_order(rng)
        check_order(order, random_refunds(rng, paid_total_of(order)), cancel=rng.random() < 0.2)


def test_the_issue_10_order_refunded_3_then_1_then_3_reverses_every_leg_forwards() -> None:
    # UK shop plan 8000 bps, agency 2000 bps: one line of 5, shipping 2 -> legs 3 / 3 / 1.
    order = Order((Line(1, 5, 0, 8000),), 2, 900, 0, 0, True, 2000)
    assert oracle_legs(order)["merchant_net"] + oracle_legs(order)["platform_fee"] == 3
    check_order(order, [3, 1, 3], cancel=False)


def test_six_lines_of_one_at_8000_bps_leave_no_leg_negative() -> None:
    order = Order(tuple(Line(1, 1, 0, 8000) for _ in range(6)), 0, 900, 0, 0, True, None)
    assert min(oracle_legs(order).values()) >= 0
    check_order(order, [1, 2, 3], cancel=False)


lines = st.lists(
    st.builds(
        Line,
        quantity=st.integers(1, 5),
        unit_price=st.one_of(st.integers(0, 20), st.integers(0, 10**12)),
        discount=st.just(0),
        rate_bps=st.integers(0, 10_000),
    ),
    min_size=1,
    max_size=6,
)
orders = st.builds(
    Order,
    lines=lines.map(tuple),
    shipping_fee=st.one_of(st.integers(0, 20), st.integers(0, 10**12)),
    fee_bps=st.integers(0, 10_000),
    cut_bps=st.integers(0, 10_000),
    tax_bps=st.integers(0, 10_000),
    has_creator=st.booleans(),
    agency_bps=st.one_of(st.none(), st.integers(0, 10_000)),
)


@settings(max_examples=300, deadline=None)
@given(orders, st.data())
def test_any_order_and_refund_sequence_agree_with_the_oracle(
    order: Order, data: st.DataObject
) -> None:
    refunds, left = [], paid_total_of(order)
    for _ in range(data.draw(st.integers(0, 4))):
        if not left:
            break
        amount = data.draw(st.integers(1, left))
        refunds.append(amount)
        left -= amount
    check_order(order, refunds, cancel=data.draw(st.booleans()))
