import pytest

from services.orders.adapters.secret_box import SecretBox, SecretUnreadable
from shared.keyring import KeyRing, KeyRingError, encode_key

K1 = encode_key("k1", b"1" * 32)
K2 = encode_key("k2", b"2" * 32)


def test_a_sealed_secret_opens_only_in_its_place_and_under_a_listed_key() -> None:
    box = SecretBox(KeyRing.parse(K1))
    sealed = box.seal("whsec_abc", place="shop-1/webhook_secret")

    assert sealed.startswith("sealed:v1:k1:")
    assert "whsec_abc" not in sealed
    assert box.open(sealed, place="shop-1/webhook_secret") == "whsec_abc"
    assert box.seal("whsec_abc", place="p") != box.seal("whsec_abc", place="p")  # fresh nonces
    with pytest.raises(SecretUnreadable):
        box.open(sealed, place="shop-2/webhook_secret")
    with pytest.raises(SecretUnreadable):
        SecretBox(KeyRing.parse(K2)).open(sealed, place="shop-1/webhook_secret")
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SecretUnreadable):
        box.open(tampered, place="shop-1/webhook_secret")


def test_a_rotated_ring_seals_with_the_new_key_and_opens_with_both() -> None:
    old = SecretBox(KeyRing.parse(K1)).seal("s", place="p")
    rotated = SecretBox(KeyRing.parse(f"{K2},{K1}"))

    assert rotated.open(old, place="p") == "s"
    assert rotated.seal("s", place="p").startswith(rotated.active_prefix)
    assert rotated.active_prefix == "sealed:v1:k2:"
    assert rotated.open("whsec_plain", place="p") == "whsec_plain"  # stored before encryption


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "expected <kid>:<base64url key>"),
        ("k1", "expected <kid>:<base64url key>"),
        ("bad kid:" + K1.split(":")[1], "expected <kid>:<base64url key>"),
        (f"{K1},{K1}", "listed twice"),
        (encode_key("short", b"x" * 16), "must be 32 bytes"),
        ("k1:***", "not base64url"),
    ],
)
def test_a_malformed_ring_is_refused_with_a_reason_that_shows_no_key(
    text: str, reason: str
) -> None:
    with pytest.raises(KeyRingError, match=reason) as caught:
        KeyRing.parse(text, key_bytes=32)
    assert "MTEx" not in str(caught.value)
    assert repr(KeyRing.parse(K1)) == "KeyRing(active_kid='k1', kids=['k1'])"
