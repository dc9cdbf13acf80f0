"""Voucher codes and money amounts: pure functions, each property shown by an input that
would break it."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from merchants.money import MoneyError, amount_text, parse_amount
from merchants.vouchers import codes

GROUPED = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}-[0-9A-HJKMNP-TV-Z]$")


def test_a_code_has_80_random_bits_a_check_symbol_and_reads_in_groups():
    code = codes.new_code()
    assert len(code) == 17 and codes.PAYLOAD * 5 >= 80
    assert GROUPED.match(codes.grouped(code))
    assert not set(code) & set("ILOU")
    assert codes.normalise(code) == code
    assert len({codes.new_code() for _ in range(2000)}) == 2000


def test_people_can_type_it_their_way():
    code = codes.new_code()
    messy = " " + codes.grouped(code).lower().replace("-", " ") + " "
    assert codes.normalise(messy) == code
    if "0" in code:  # O typed for 0, and I or L for 1, are read as meant
        assert codes.normalise(code.replace("0", "O")) == code
    if "1" in code:
        assert codes.normalise(code.replace("1", "l")) == code


payloads = st.text(alphabet=codes.ALPHABET, min_size=16, max_size=16)


@given(payloads, st.integers(0, 16), st.sampled_from(codes.ALPHABET))
def test_any_single_mistyped_symbol_is_caught(payload, position, wrong):
    code = payload + codes.check_symbol(payload)
    if code[position] == wrong:
        return
    typo = code[:position] + wrong + code[position + 1:]
    assert codes.normalise(typo) is None


@given(payloads, st.integers(0, 15))
def test_swapping_neighbours_is_caught_almost_always(payload, position):
    code = payload + codes.check_symbol(payload)
    a, b = code[position], code[position + 1]
    swapped = code[:position] + b + a + code[position + 2:]
    # Luhn mod N misses only the swap of the two symbols whose values sum to N-1 (0 and Z here)
    if a == b or {codes.ALPHABET.index(a), codes.ALPHABET.index(b)} == {0, 31}:
        return
    assert codes.normalise(swapped) is None


@pytest.mark.parametrize("bad", [None, "", "ABC", "U" * 17, "x" * 65, 17, "7KQ3-M9TV-2HXC-R4PW-DD"])
def test_junk_is_not_a_code(bad):
    assert codes.normalise(bad) is None


def test_the_digest_is_of_the_normalised_code():
    code = codes.new_code()
    assert codes.digest(code) == codes.digest(codes.normalise(codes.grouped(code).lower()))
    assert len(codes.digest(code)) == 64


@pytest.mark.parametrize("amount, currency, minor", [
    ("0.10", "CNY", 10), ("0.1", "CNY", 10), ("12", "CNY", 1200), ("12.50", "CNY", 1250),
    ("5", "JPY", 5), ("0.001", "BHD", 1), ("123456789.99", "CNY", 12345678999),
])
def test_amounts_parse_exactly(amount, currency, minor):
    assert parse_amount(amount, currency) == minor
    assert parse_amount(amount_text(minor, currency), currency) == minor


@pytest.mark.parametrize("amount, currency", [
    ("0.105", "CNY"), ("0.100", "CNY"), ("5.5", "JPY"), ("-1", "CNY"), ("1e3", "CNY"), ("", "CNY"),
    ("0,10", "CNY"), (" ", "CNY"), (0.1, "CNY"), ("NaN", "CNY"), ("0.10", "XYZ"), ("0.10", "cny"),
])
def test_amounts_that_would_be_rounded_or_guessed_are_refused(app, amount, currency):
    with app.test_request_context():
        with pytest.raises(MoneyError):
            parse_amount(amount, currency)


def test_amount_text_has_the_currency_minor_digits():
    assert amount_text(10, "CNY") == "0.10"
    assert amount_text(5, "JPY") == "5"
    assert amount_text(1, "BHD") == "0.001"
