"""Supported languages and how a user's language is chosen."""

from __future__ import annotations

SUPPORTED_LOCALES: tuple[str, ...] = ("en", "zh_Hans", "ru", "es", "pt_BR", "fr")

# Telegram's language_code is an IETF tag ("en", "pt-br", "zh-hans", "zh-cn"...).
_TELEGRAM_ALIASES: dict[str, str] = {
    "zh": "zh_Hans",
    "zh-hans": "zh_Hans",
    "zh-cn": "zh_Hans",
    "zh-sg": "zh_Hans",
    "pt": "pt_BR",
    "pt-br": "pt_BR",
}


# The longest language tag stored (telegram_users.telegram_language).
TELEGRAM_LANGUAGE_MAX = 16
_TAG_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def telegram_language_tag(language_code: str | None) -> str | None:
    """Telegram's `language_code` as it may be kept: a language tag of at most
    `TELEGRAM_LANGUAGE_MAX` letters, digits and hyphens; anything else (a client can send any
    string) is no language at all, rather than a value the database refuses."""
    if not language_code or len(language_code) > TELEGRAM_LANGUAGE_MAX:
        return None
    return language_code if set(language_code) <= _TAG_CHARACTERS else None


def locale_from_telegram(language_code: str | None) -> str | None:
    """Map Telegram's `language_code` to a supported locale, or None if we do not speak it."""
    if not language_code:
        return None
    code = language_code.strip().lower().replace("_", "-")
    if code in _TELEGRAM_ALIASES:
        return _TELEGRAM_ALIASES[code]
    base = code.split("-", 1)[0]
    if base in _TELEGRAM_ALIASES:
        return _TELEGRAM_ALIASES[base]
    return base if base in SUPPORTED_LOCALES else None


def resolve_locale(stored: str | None, telegram_language: str | None, default: str) -> str:
    """The stored preference, else Telegram's language mapped to ours, else the default."""
    if stored in SUPPORTED_LOCALES:
        return stored
    return locale_from_telegram(telegram_language) or default
