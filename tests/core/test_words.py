"""Amounts in words, checked against how a Vietnamese accountant writes them."""

import pytest

from app.core.words import money_words_vn


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (5, "Năm đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (105, "Một trăm linh năm đồng"),
        (110, "Một trăm mười đồng"),
        (1_000_005, "Một triệu không trăm linh năm đồng"),
        (12_345_678, "Mười hai triệu ba trăm bốn mươi lăm nghìn sáu trăm bảy mươi tám đồng"),
        (1_000_000_000, "Một tỷ đồng"),
        (92_500_000, "Chín mươi hai triệu năm trăm nghìn đồng"),
        (2_015_000, "Hai triệu không trăm mười lăm nghìn đồng"),
        (1_200_000_000_000, "Một nghìn hai trăm tỷ đồng"),
        (5_000_041_000, "Năm tỷ không trăm bốn mươi mốt nghìn đồng"),
        (-150_000, "Âm một trăm năm mươi nghìn đồng"),
    ],
)
def test_amounts_in_words(amount, words):
    assert money_words_vn(amount) == words
