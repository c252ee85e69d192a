"""What an identifier is compared as: its normalised form and its match key.

Every identifier is kept encrypted; what the database can compare is a keyed blind index
(`victims.crypto.blind_index`, under BLIND_INDEX_KEY) of its **match key**, computed here:

- phone numbers: E.164 (`+923001234567`), parsed by the `phonenumbers` library with Pakistan
  as the region of a number written without its country code;
- passport, CNIC, bank and hawala references: upper-case letters and digits only;
- social-media handles: folded (below), without a leading `@` or spaces;
- vehicle and vessel names: folded words;
- names and aliases: the **spelling key** (`name_key`), so that Urdu/Arabic-script and Latin
  spellings of one name meet.

Folding is NFKC, case-folding and the removal of diacritics (combining marks after NFKD).

The spelling key is a consonant skeleton, written for the names met in FIA's cases:

1. fold the name and split it into words;
2. in Latin script, read the digraphs first (`kh` → X, `gh` → g, `sh` → S, `ch` → C, `ph` → f,
   `th` → t, `dh` → d, and an `h` after b, p, t, d, j, k, g, r, which marks aspiration, is
   dropped), then map each letter to its class; in Arabic script (Urdu, Arabic, Persian)
   map each letter to the same classes (`ARABIC_CLASSES`): ق and ک with k and q and c; ت, ط and
   ٹ with t; ث, س and ص with s; ذ, ز, ض and ظ with z; ح, ہ and ه with h; غ with g …;
3. drop the vowels and the letters that write vowels in Urdu: a e i o u, and w, v and y, since
   و and ی are both vowels and consonants and cannot be told apart from the script; ا, آ, ع,
   ء and the other hamza seats; the aspiration mark ھ;
4. drop a word's final h (Latin `-ah`, Urdu final ہ and ة are mostly vowels);
5. collapse doubled classes (`mm` → m; shadda is a diacritic and is gone already);
6. the words' skeletons, empty ones left out, sorted and joined by spaces.

So "Muhammad", "Mohammad", "Mohammed" and "محمد" all give `mhmd`; "Ahmed" and "احمد" give
`hmd`. The key is deliberately coarse and says "possible match", never "same person": names
with the same consonants collide (Muhammad and Mahmood both give `mhmd`), and a name
transliterated with other consonants (Uthman for Usman) does not meet its Urdu form.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from people.constants import DEFAULT_PHONE_REGION, IdentifierKind

__all__ = ["InvalidIdentifier", "fold", "match_key", "name_key", "normalise", "phone_e164"]


class InvalidIdentifier(ValueError):
    """A value that is not an identifier of its kind (a phone number that cannot be read)."""


def fold(text: str) -> str:
    """NFKC, case-folded, diacritics dropped, words of letters and digits, single spaces."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", letters)))


def phone_e164(value: str) -> str:
    """The number in E.164 (`+923001234567`); Pakistan when no country code is written.

    `923001234567` (the country code without its `+`) is read as international too.
    """
    raw = (value or "").strip()
    if not raw:
        raise InvalidIdentifier("Enter a phone number.")
    digits = re.sub(r"\D", "", raw)
    candidates = [raw]
    if not raw.startswith(("+", "00")) and not raw.startswith("0") and len(digits) > 10:
        candidates.insert(0, "+" + digits)  # a country code written without its plus
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, DEFAULT_PHONE_REGION)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise InvalidIdentifier(
        "This is not a phone number: write it with its country code (+92 300 1234567) or as "
        "dialled in Pakistan (0300 1234567)."
    )


def _document(value: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", value or "").upper())


# Latin digraphs, read before single letters (the order matters: `kh` before `h`).
_DIGRAPHS = [
    ("kh", "X"),
    ("gh", "g"),
    ("sh", "S"),
    ("ch", "C"),
    ("ph", "f"),
    ("th", "t"),
    ("dh", "d"),
    ("bh", "b"),
    ("jh", "j"),
    ("rh", "r"),
    ("ck", "k"),
]
_LATIN_CLASSES = {
    "b": "b",
    "c": "k",
    "d": "d",
    "f": "f",
    "g": "g",
    "h": "h",
    "j": "j",
    "k": "k",
    "l": "l",
    "m": "m",
    "n": "n",
    "p": "p",
    "q": "k",
    "r": "r",
    "s": "s",
    "t": "t",
    "x": "ks",
    "z": "z",
    # a e i o u, and w v y: vowels (see the module's docstring), dropped.
}
# The Arabic-script letters of Urdu, Arabic and Persian names, by the same classes. Letters
# not listed (alef and its forms, ain, hamza, waw, the yehs, do-chashmi he) are dropped.
ARABIC_CLASSES = {
    "ب": "b",
    "پ": "p",
    "ت": "t",
    "ٹ": "t",
    "ط": "t",
    "ث": "s",
    "س": "s",
    "ص": "s",
    "ج": "j",
    "چ": "C",
    "ح": "h",
    "ه": "h",
    "ہ": "h",
    "ة": "h",
    "خ": "X",
    "د": "d",
    "ڈ": "d",
    "ذ": "z",
    "ز": "z",
    "ژ": "z",
    "ض": "z",
    "ظ": "z",
    "ر": "r",
    "ڑ": "r",
    "ش": "S",
    "غ": "g",
    "گ": "g",
    "ف": "f",
    "ق": "k",
    "ک": "k",
    "ك": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ں": "n",
}
# A word's last letter that is mostly a vowel: Latin h (in -ah), Urdu final he, ta marbuta.
_FINAL_H = {"h"}
_FINAL_H_LETTERS = {"ه", "ہ", "ة", "ح"}


def _word_key(word: str) -> str:
    if any("\u0600" <= ch <= "\u06ff" for ch in word):
        while word and word[-1] in _FINAL_H_LETTERS:
            word = word[:-1]
        classes = [ARABIC_CLASSES.get(ch, "") for ch in word]
    else:
        for digraph, replacement in _DIGRAPHS:
            word = word.replace(digraph, replacement)
        # Upper-case letters are the digraphs' classes (the word itself is case-folded).
        classes = [
            _LATIN_CLASSES.get(ch, ch if ch.isdigit() or ch.isupper() else "") for ch in word
        ]
        while classes and classes[-1] == "":
            classes.pop()
        if classes and classes[-1] in _FINAL_H:
            classes.pop()
    skeleton = []
    for cls in "".join(classes):
        if not skeleton or skeleton[-1] != cls:
            skeleton.append(cls)
    return "".join(skeleton)


def name_key(name: str) -> str:
    """The spelling key of a name (see the module's docstring); '' when nothing is left."""
    keys = [_word_key(word) for word in fold(name).split()]
    return " ".join(sorted(key for key in keys if key))


def normalise(kind: str, value: str) -> str:
    """The identifier as it is compared and shown once normalised (a phone in E.164)."""
    if kind == IdentifierKind.PHONE:
        return phone_e164(value)
    if kind in (IdentifierKind.PASSPORT, IdentifierKind.CNIC, IdentifierKind.BANK):
        normal = _document(value)
        if kind == IdentifierKind.CNIC and not re.fullmatch(r"\d{13}", normal):
            raise InvalidIdentifier("A CNIC number has 13 digits (12345-1234567-1).")
    elif kind == IdentifierKind.SOCIAL:
        normal = _handle(value)
    elif kind in (IdentifierKind.NAME, IdentifierKind.VEHICLE):
        normal = fold(value)
    else:
        raise InvalidIdentifier(f"{kind!r} is not a kind of identifier.")
    if not normal:
        raise InvalidIdentifier("This identifier is empty once spaces and punctuation are dropped.")
    return normal


def _handle(value: str) -> str:
    text = unicodedata.normalize("NFKC", value or "").casefold().strip()
    text = re.sub(r"\s+", "", text)
    return text.lstrip("@")


def match_key(kind: str, value: str) -> str:
    """What the blind index is computed of: the normalised value, or for a name its key."""
    normal = normalise(kind, value)
    if kind == IdentifierKind.NAME:
        key = name_key(normal)
        if not key:
            raise InvalidIdentifier("This name has no letters the person index can compare.")
        return key
    return normal
