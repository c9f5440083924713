"""Amounts in Vietnamese words, as the "Bằng chữ: ..." line of a payment list writes them.

12.345.678 -> "Mười hai triệu ba trăm bốn mươi lăm nghìn sáu trăm bảy mươi tám đồng".
Groups of three digits are read with their unit (nghìn, triệu, tỷ); an empty group is skipped;
a group after the first always says its hundreds ("không trăm") and a lone unit after a zero ten
takes "linh" (1.000.005 -> "một triệu không trăm linh năm"). After a ten of 2 or more, 1 reads
"mốt"; after any ten, 5 reads "lăm".
"""

DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
UNITS = ["", "nghìn", "triệu"]


def _group(number: int, leading: bool) -> list[str]:
    hundreds, tens, ones = number // 100, number // 10 % 10, number % 10
    words = []
    if not leading or hundreds:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if ones:
            words += (["linh"] if words else []) + [DIGITS[ones]]
    elif tens == 1:
        words.append("mười")
        if ones:
            words.append("lăm" if ones == 5 else DIGITS[ones])
    else:
        words += [DIGITS[tens], "mươi"]
        if ones:
            words.append({1: "mốt", 5: "lăm"}.get(ones, DIGITS[ones]))
    return words


def _below_billion(number: int, leading: bool) -> list[str]:
    groups = []
    while number:
        groups.append(number % 1000)
        number //= 1000
    words = []
    for index in range(len(groups) - 1, -1, -1):
        if groups[index]:
            first = leading and not words
            words += _group(groups[index], first) + ([UNITS[index]] if UNITS[index] else [])
    return words


def _words(number: int, leading: bool = True) -> list[str]:
    billions, rest = divmod(number, 1_000_000_000)
    words = []
    if billions:
        words += _words(billions, leading) + ["tỷ"]
    if rest:
        words += _below_billion(rest, leading and not words)
    return words


def money_words_vn(amount: int) -> str:
    """The amount in đồng, in words, with a capital first letter (negative amounts say "Âm")."""
    amount = int(amount)
    if amount == 0:
        return "Không đồng"
    words = (["âm"] if amount < 0 else []) + _words(abs(amount)) + ["đồng"]
    text = " ".join(words)
    return text[0].upper() + text[1:]
