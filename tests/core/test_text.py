"""Vietnamese text: search folding, dictionary order, name order, formats."""

import unicodedata
from datetime import date, datetime

from app.core.formats import date_vn, date_words_vn, datetime_vn, money_vn, percent_vn
from app.core.text import capitalise_name, collation_key, fold, name_sort_key, nfc


def test_fold_removes_tones_and_letter_marks():
    assert fold("Nguyễn Thị Hường") == "nguyen thi huong"
    assert fold("ĐÀM VĂN CHÍNH") == "dam van chinh"


def test_nfd_input_is_stored_as_nfc():
    decomposed = unicodedata.normalize("NFD", "Hường")
    assert decomposed != "Hường"
    assert nfc(decomposed) == "Hường"
    assert fold(decomposed) == "huong"


def test_vietnamese_alphabet_order():
    words = ["Đức", "Dung", "Ân", "An", "Ăn", "Anh", "Ánh", "Ơn", "Ôn", "On", "Ưng", "Uyên"]
    assert sorted(words, key=collation_key) == [
        "An",
        "Anh",
        "Ánh",
        "Ăn",
        "Ân",
        "Dung",
        "Đức",
        "On",
        "Ôn",
        "Ơn",
        "Uyên",
        "Ưng",
    ]


def test_people_sort_by_given_name_then_family_and_middle_name():
    names = ["Nguyễn Văn Bình", "Hoàng Thị An", "Trần Văn An", "Lê Thị Đào", "Bế Văn Dũng"]
    assert sorted(names, key=name_sort_key) == [
        "Hoàng Thị An",
        "Trần Văn An",
        "Nguyễn Văn Bình",
        "Bế Văn Dũng",
        "Lê Thị Đào",
    ]


def test_name_capitalisation():
    assert capitalise_name("  NGUYỄN   thị hường ") == "Nguyễn Thị Hường"


def test_formats():
    assert date_vn(date(2023, 2, 5)) == "05/02/2023"
    assert money_vn(12345678) == "12.345.678\u00a0đ"
    assert percent_vn(0.905) == "90,5\u00a0%"
    assert datetime_vn(datetime(2023, 2, 5, 1, 3)) == "05/02/2023 08:03"  # UTC 01:03 is 08:03 in Vietnam


def test_formal_date_line_pads_days_below_10_and_months_1_and_2():
    assert date_words_vn("Lạng Sơn", date(2023, 2, 5)) == "Lạng Sơn, ngày 05 tháng 02 năm 2023"
    assert date_words_vn("Lạng Sơn", date(2023, 8, 15)) == "Lạng Sơn, ngày 15 tháng 8 năm 2023"


def test_tones_follow_dictionary_order():
    words = ["Án", "Ạn", "Ãn", "An", "Ản", "Àn"]
    assert sorted(words, key=collation_key) == ["An", "Àn", "Ản", "Ãn", "Án", "Ạn"]
