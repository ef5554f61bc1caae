"""Synthetic borrowers: GB 11643 ID numbers, phones and the borrower draw (simulator)."""

from __future__ import annotations

import random
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from qingshou.simulate.people import draw_borrower, draw_id_number, id_check_digit, is_valid_id_number

# GB 11643-1999's own example numbers, and ones that are wrong in one place.
ID_NUMBERS = [
    # id number            valid
    ("11010519491231002X", True),
    ("440524188001010014", True),
    ("11010519491231002Y", False),
    ("110105194912310021", False),
    ("11010519491231002", False),
    ("1101051949123100AX", False),
]


def test_id_check_digit_follows_gb_11643() -> None:
    """GB 11643: the 18th character is the ISO 7064 MOD 11-2 check of the first 17 digits."""
    for id_number, valid in ID_NUMBERS:
        assert is_valid_id_number(id_number) is valid, id_number
    assert id_check_digit("11010519491231002") == "X"


@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=0, max_value=16), st.integers(1, 9))
def test_a_drawn_id_number_is_valid_and_one_wrong_digit_is_caught(
    seed: int, position: int, shift: int
) -> None:
    """GB 11643: drawn numbers carry a valid check digit; changing any one of the first 17 digits breaks it."""
    rng = random.Random(seed)
    id_number = draw_id_number(rng, "440305", date(1990, 2, 28), male=bool(seed % 2))
    assert is_valid_id_number(id_number)
    assert int(id_number[16]) % 2 == seed % 2  # odd sequence digit for men, even for women
    wrong_digit = str((int(id_number[position]) + shift) % 10)
    broken = id_number[:position] + wrong_digit + id_number[position + 1 :]
    assert not is_valid_id_number(broken)


@given(st.integers(min_value=0, max_value=2**32))
def test_a_borrower_is_an_adult_with_a_consistent_identity(seed: int) -> None:
    """A drawn borrower is 20–62 on as_of, and their ID number carries their birth date."""
    as_of = date(2025, 6, 30)
    borrower = draw_borrower(random.Random(seed), "B000000001", as_of)
    age = (as_of - borrower.birth_date).days / 365.25
    assert 20 <= age <= 62.01
    assert borrower.id_number[6:14] == borrower.birth_date.strftime("%Y%m%d")
    assert is_valid_id_number(borrower.id_number)
    assert len(borrower.phone) == 11
    assert borrower.phone.startswith("1")
    assert borrower.monthly_income % 100 == 0
    assert 2500 <= borrower.monthly_income <= 150_000
