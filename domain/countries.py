"""Countries by ISO 3166-1 alpha-2 code, and finding one from what a user typed."""

from __future__ import annotations

import unicodedata

import pycountry

# Where most AliExpress semi-managed sellers are based; offered as buttons first.
COMMON_SELLER_COUNTRIES: tuple[str, ...] = ("CN", "HK", "TR", "KR", "RU", "US", "ES", "FR", "BR")


def _fold(text: str) -> str:
    normalized = unicodedata.normalize("NFKD", text)
    return "".join(c for c in normalized if not unicodedata.combining(c)).casefold().strip()


def is_country_code(code: str) -> bool:
    return pycountry.countries.get(alpha_2=code.upper()) is not None


def find_countries(query: str, limit: int = 8) -> list[str]:
    """Alpha-2 codes matching a typed code (alpha-2/alpha-3) or (part of) an English name."""
    text = _fold(query)
    if not text or len(text) > 60:
        return []
    if len(text) in (2, 3) and text.isalpha():
        if len(text) == 2:
            exact = pycountry.countries.get(alpha_2=text.upper())
        else:
            exact = pycountry.countries.get(alpha_3=text.upper())
        if exact is not None:
            return [str(exact.alpha_2)]
    starts: list[str] = []
    contains: list[str] = []
    for country in pycountry.countries:
        names = [
            country.name,
            getattr(country, "official_name", ""),
            getattr(country, "common_name", ""),
        ]
        folded = [_fold(name) for name in names if name]
        if any(name == text for name in folded):
            return [str(country.alpha_2)]
        if any(name.startswith(text) for name in folded):
            starts.append(str(country.alpha_2))
        elif len(text) >= 3 and any(text in name for name in folded):
            contains.append(str(country.alpha_2))
    return (starts + contains)[:limit]
