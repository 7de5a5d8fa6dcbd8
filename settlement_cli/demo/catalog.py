"""What the demo's shops sell and who sells it, per region (amounts in minor units)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RegionCatalog:
    """Price range of an item, the shipping fee, and shop names of one region."""

    region: str
    currency: str
    shop_name: str
    price_range: tuple[int, int]
    price_step: int
    shipping_fee: int
    sku_names: tuple[str, ...]


CATALOGS = (
    RegionCatalog(
        region="UK",
        currency="GBP",
        shop_name="london-beauty",
        price_range=(899, 8_999),  # £8.99 .. £89.99
        price_step=100,
        shipping_fee=399,
        sku_names=("serum", "lipstick", "cleanser", "mask", "palette"),
    ),
    RegionCatalog(
        region="ID",
        currency="IDR",
        shop_name="jakarta-batik",
        price_range=(7_500_000, 95_000_000),  # Rp 75,000 .. Rp 950,000
        price_step=500_000,
        shipping_fee=1_500_000,
        sku_names=("batik-shirt", "sarong", "hijab", "kebaya", "tote"),
    ),
    RegionCatalog(
        region="CN",
        currency="CNY",
        shop_name="hangzhou-tea",
        price_range=(3_800, 69_800),  # ¥38 .. ¥698
        price_step=100,
        shipping_fee=0,
        sku_names=("longjing", "puer", "oolong", "teapot", "gift-box"),
    ),
)

# Days between delivery and a release that is surely due: the window, the release rule's extra
# day, and for CN up to a month of waiting for the next month's first instant.
DUE_DELIVERY_AGE_DAYS = {"UK": 17, "ID": 9, "CN": 45}
CREATORS_PER_REGION = 4
AGENCY_SHARE_BPS = (2_000, 3_000)
