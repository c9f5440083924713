"""Vietnamese text helpers: NFC, accent-free search keys, collation keys, name casing."""

import re
import unicodedata

# Vietnamese alphabet order: ă and â follow a, đ follows d, ê follows e, ô and ơ follow o,
# ư follows u. Tones only break ties, in dictionary (and CLDR) order: no mark, huyền, hỏi,
# ngã, sắc, nặng — a à ả ã á ạ.
ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
LETTER_RANK = {letter: index + 11 for index, letter in enumerate(ALPHABET)}
DIGIT_RANK = {str(d): d + 1 for d in range(10)}  # digits sort before letters
TONE_MARKS = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền hỏi ngã sắc nặng
LETTER_MARKS = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}
_SPACES = re.compile(r"\s+")


def nfc(value: str | None) -> str | None:
    """NFC-normalise and collapse whitespace; None stays None."""
    if value is None:
        return None
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def fold(value: str | None) -> str:
    """Accent-free lower-case form for search: 'Nguyễn Thị Hường' -> 'nguyen thi huong'."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFD", value.lower().replace("đ", "d").replace("Đ", "d"))
    return nfc("".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _split_letters(word: str):
    """Yield (base letter, tone) for each letter of a word, Vietnamese letters kept whole."""
    for cluster in re.findall(r".[\u0300-\u036f]*", unicodedata.normalize("NFD", word.lower())):
        base, marks = cluster[0], cluster[1:]
        tone = 0
        for mark in marks:
            if mark in TONE_MARKS:
                tone = TONE_MARKS[mark]
            elif (base, mark) in LETTER_MARKS:
                base = LETTER_MARKS[(base, mark)]
        yield base, tone


def collation_key(text: str) -> str:
    """A digits-only key that sorts text in Vietnamese dictionary order under any DB collation."""
    primary, tones = [], []
    for word in (text or "").split():
        for base, tone in _split_letters(word):
            rank = LETTER_RANK.get(base) or DIGIT_RANK.get(base)
            if rank is None:
                continue
            primary.append(f"{rank:02d}")
            tones.append(str(tone))
        primary.append("00")  # word boundary sorts before any letter: "An" < "Anh"
    return "".join(primary) + "0" + "".join(tones)


def split_name(full_name: str) -> tuple[str, str]:
    """Return (family and middle names, given name): the given name is the last word."""
    parts = (full_name or "").split()
    if not parts:
        return "", ""
    return " ".join(parts[:-1]), parts[-1]


def name_sort_key(full_name: str) -> str:
    """Sort key for people lists: given name first, then family and middle names."""
    family_middle, given = split_name(full_name)
    return collation_key(given) + "00" + collation_key(family_middle)


def capitalise_name(full_name: str) -> str:
    """'NGUYỄN thị hường' -> 'Nguyễn Thị Hường' (each word capitalised, NFC)."""
    return " ".join(word[:1].upper() + word[1:].lower() for word in (nfc(full_name) or "").split(" ") if word)


def mask_id_number(value: str | None) -> str | None:
    """'020190001234' -> '0201******34': the one way a citizen ID is shown unless revealed.

    The first four digits (province of birth registration, century and gender) and the last
    two let a person at a desk tell two records apart without exposing the number.
    """
    if not value:
        return None
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def holds_nul(value) -> bool:
    """Whether U+0000 hides anywhere in ``value`` (text, or lists and dicts of it, keys too).

    PostgreSQL text cannot hold it (psycopg raises ``DataError``), no field of ours needs it, and
    SQLite would keep it where a name or code truncates for C tools.
    """
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    return False
