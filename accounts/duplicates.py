"""What makes two accounts (or two contacts) likely the same: pure functions.

- The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from
  an alphabet without I, O, S, V and Z, the last a check character over the first 17.
- The normalised name: full-width folded to half-width (NFKC), case and spaces and
  punctuation dropped, and the legal-form suffixes (有限公司, 股份有限公司, 集团,
  Co., Ltd., …) taken off the end, so 华为技术有限公司 and "华为技术" meet.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Longest first: "股份有限公司" must go before "有限公司" can leave "股份" behind. Chinese
# is written without spaces, so these come off the end of the name's characters.
LEGAL_SUFFIXES = sorted(
    {
        "股份有限公司",
        "有限责任公司",
        "集团有限公司",
        "集团股份有限公司",
        "有限公司",
        "集团公司",
        "集团",
        "公司",
        "分公司",
        "总公司",
    },
    key=len,
    reverse=True,
)
# Latin legal forms come off only as whole words: "Acme Co., Ltd." is Acme, while
# Costco stays Costco.
LEGAL_WORDS = frozenset(
    {
        "corporation",
        "incorporated",
        "company",
        "limited",
        "group",
        "corp",
        "inc",
        "ltd",
        "llc",
        "plc",
        "gmbh",
        "co",
    }
)
# After NFKC and lower-casing: keep letters and digits of any script, drop the rest.
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_ALPHABET.index(ch) * weight
        for ch, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().upper().replace(" ", "")


def validate_credit_code(value: str) -> None:
    """Raise ValidationError naming what is wrong with a credit code."""
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(count)d."),
            code="length",
            params={"count": len(code)},
        )
    wrong = sorted({ch for ch in code if ch not in CREDIT_CODE_ALPHABET})
    if wrong:
        raise ValidationError(
            _(
                "%(chars)s cannot appear in a unified social credit code (digits and "
                "capital letters except I, O, S, V and Z)."
            ),
            code="characters",
            params={"chars": "".join(wrong)},
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _(
                "The check character (the last) does not match the first 17: check the "
                "code for a typing error."
            ),
            code="check_digit",
        )


def person_name_key(name: str) -> str:
    """A person's name as two spellings of it share: without case, spaces or width."""
    return "".join(unicodedata.normalize("NFKC", name or "").casefold().split())


def normalize_name(name: str) -> str:
    """The key two names of one company share; "" for a name of only a legal form."""
    words = _NOT_WORD.split(unicodedata.normalize("NFKC", name or "").casefold())
    while words and (not words[-1] or words[-1] in LEGAL_WORDS):
        words.pop()
    text = "".join(words)
    stripped = True
    while stripped and text:
        stripped = False
        for suffix in LEGAL_SUFFIXES:
            if text.endswith(suffix):
                text = text[: -len(suffix)]
                stripped = True
                break
    return text


def normalize_phone(phone: str) -> str:
    """Digits only, without a leading +86 / 0086: "+86 138-0013-8000" → "13800138000"."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 11:
            return digits[len(prefix) :]
    return digits


# An extension after the number: "转 123", "分机 123", "ext. 123", "x123".
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x)\s*(?=[0-9])", re.IGNORECASE)
# What may stand between the digits: a country code's +, spaces, hyphens, brackets, dots,
# and the separators of two numbers in one box ("138 0013 8000 / 010-6552 8000").
_BETWEEN_DIGITS = re.compile(r"[0-9\s+\-()./,;、#]*")
PHONE_DIGITS = (5, 30)  # fewer is no number to dial; two numbers and an extension fit


def validate_phone(value: str) -> None:
    """A phone number as people write them (full-width digits too): digits with +, spaces,
    hyphens or brackets, an extension after 转 / 分机 / ext. — not a name or a note."""
    text = _EXTENSION.sub(" ", unicodedata.normalize("NFKC", value or "").strip())
    digits = sum(character in "0123456789" for character in text)
    low, high = PHONE_DIGITS
    if _BETWEEN_DIGITS.fullmatch(text) and low <= digits <= high:
        return
    raise ValidationError(
        _(
            "“%(value)s” is not a phone number. Enter its digits, with +, spaces, hyphens "
            "or brackets if you like, and an extension after 转 or ext."
        ),
        code="invalid_phone",
        params={"value": value},
    )


def normalize_email(email: str) -> str:
    return unicodedata.normalize("NFKC", email or "").strip().casefold()
