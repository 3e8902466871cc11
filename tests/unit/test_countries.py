"""Finding the country a user typed: an ISO code, or its name in any language the bot speaks
or in the country's own, whatever the case and accents; never a region, never a guess."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from domain import countries
from domain.countries import find_countries, is_country_code

# Each supported language's names for a few countries, as babel writes them and as people
# type them (no accents, other case, other punctuation).
NAMES_BY_LANGUAGE = {
    "en": {"Germany": "DE", "united states": "US", "COTE D'IVOIRE": "CI", "Türkiye": "TR"},
    "es": {"Alemania": "DE", "Estados Unidos": "US", "españa": "ES", "Mexico": "MX"},
    "fr": {"Allemagne": "DE", "États-Unis": "US", "etats unis": "US", "Côte d’Ivoire": "CI"},
    "pt_BR": {"Alemanha": "DE", "Espanha": "ES", "Estados Unidos": "US", "Turquia": "TR"},
    "ru": {"Германия": "DE", "ГЕРМАНИЯ": "DE", "Франция": "FR", "Кот-д'Ивуар": "CI"},
    "zh_Hans": {"德国": "DE", "法国": "FR", "巴西": "BR", "香港": "HK"},
}


@pytest.mark.parametrize("language", NAMES_BY_LANGUAGE)
def test_names_in_each_supported_language(language: str) -> None:
    for typed, code in NAMES_BY_LANGUAGE[language].items():
        assert find_countries(typed) == [code], typed


def test_a_country_by_its_own_name() -> None:
    """Sellers with warehouses abroad write the country as its people do."""
    own = {
        "Deutschland": "DE",
        "Österreich": "AT",
        "osterreich": "AT",
        "Schweiz": "CH",
        "Polska": "PL",
        "Nederland": "NL",
        "日本": "JP",
        "대한민국": "KR",
        "台灣": "TW",
    }
    for typed, code in own.items():
        assert find_countries(typed) == [code], typed


def test_codes_and_the_short_forms_everyone_writes() -> None:
    assert find_countries("de") == ["DE"]
    assert find_countries("DEU") == ["DE"]
    assert find_countries("usa") == ["US"]
    # "UK" is ISO's reserved code of the United Kingdom, not the beginning of Ukraine.
    assert find_countries("UK") == ["GB"]
    assert find_countries("США") == ["US"]
    assert find_countries("UAE") == ["AE"]
    # Two letters that are no country's code are not read as the start of a name.
    assert find_countries("QQ") == []


@pytest.mark.parametrize(
    "region",
    ["Europe", "Европа", "欧洲", "Europa", "América Latina", "Amérique latine", "World", "Мир",
     "世界", "Union européenne", "EU", "150", "419"],
)  # fmt: skip
def test_regions_are_not_countries(region: str) -> None:
    assert find_countries(region) == []


def test_every_name_leads_to_a_country_the_project_accepts() -> None:
    found = {code for code, _ in countries._names_by_country()}
    assert len(found) > 240
    assert all(is_country_code(code) for code in found)


def test_a_beginning_shared_by_several_countries_lets_the_user_choose() -> None:
    assert set(find_countries("Korea")) == {"KR", "KP"}
    assert {"VG", "VI"} <= set(find_countries("Virgin Islands"))
    assert len(find_countries("Guin")) > 1


def test_a_name_two_countries_share_is_never_decided(monkeypatch: pytest.MonkeyPatch) -> None:
    """No two countries share a name in today's data; if a language ever gave one country
    another's name, both are offered instead of the first one found."""
    shared = (("GE", "\ngeorgia\nsakartvelo"), ("US", "\ngeorgia\nunited states"))
    monkeypatch.setattr(countries, "_names_by_country", lambda: shared)
    countries._countries_by_name.cache_clear()
    try:
        assert find_countries("Georgia") == ["GE", "US"]
        assert find_countries("Sakartvelo") == ["GE"]
    finally:
        countries._countries_by_name.cache_clear()


def test_unknown_and_oversized_text_matches_nothing() -> None:
    assert find_countries("Atlantis") == []
    assert find_countries("") == []
    assert find_countries("Germany" * 10) == []


# A name index small enough to build in a test, built by a stand-in that counts its builds.
SMALL_INDEX = (("DE", "\ndeutschland\ngermany"), ("FR", "\nfrance"))


@pytest.fixture
def counted_builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Each build of the name index from here on appends to the list; the index the process
    had is built again afterwards."""
    builds: list[int] = []

    def names_by_country() -> tuple[tuple[str, str], ...]:
        builds.append(1)
        return SMALL_INDEX

    monkeypatch.setattr(countries, "_names_by_country", names_by_country)
    countries._countries_by_name.cache_clear()
    try:
        yield builds
    finally:
        countries._countries_by_name.cache_clear()


def test_warm_up_builds_the_index_the_first_name_typed_uses(counted_builds: list[int]) -> None:
    countries.warm_up()
    assert counted_builds == [1]
    assert find_countries("Deutschland") == ["DE"]
    assert find_countries("France") == ["FR"]
    assert counted_builds == [1]


def test_first_calls_from_several_threads_build_the_index_once(
    monkeypatch: pytest.MonkeyPatch, counted_builds: list[int]
) -> None:
    """The warm-up thread and an update asking meanwhile: the second waits for the first's
    build instead of making its own."""
    first_build_started, release = threading.Event(), threading.Event()
    counting = countries._names_by_country

    def slow_names_by_country() -> tuple[tuple[str, str], ...]:
        first_build_started.set()
        # Held until the other callers were started; never waits forever if something broke.
        release.wait(timeout=30)
        return counting()

    monkeypatch.setattr(countries, "_names_by_country", slow_names_by_country)
    found: list[dict[str, tuple[str, ...]]] = []
    warm_up = threading.Thread(target=countries.warm_up)
    warm_up.start()
    assert first_build_started.wait(timeout=30)
    askers = [
        threading.Thread(target=lambda: found.append(countries._countries_by_name()))
        for _ in range(4)
    ]
    for asker in askers:
        asker.start()
    release.set()
    for thread in (warm_up, *askers):
        thread.join(timeout=30)
    assert counted_builds == [1]
    assert len(found) == 4
    assert all(index is found[0] for index in found)
    assert found[0]["deutschland"] == ("DE",)


@pytest.mark.parametrize(
    ("typed", "country"),
    [
        ("Turkey", "TR"),
        ("england", "GB"),
        ("Scotland", "GB"),
        ("Holland", "NL"),
        ("Ivory Coast", "CI"),
        ("DR Congo", "CD"),
    ],
)
def test_names_no_catalogue_lists_are_known(typed: str, country: str) -> None:
    assert countries.find_countries(typed) == [country]


def test_congo_names_two_countries_and_the_user_chooses() -> None:
    assert sorted(countries.find_countries("Congo")) == ["CD", "CG"]
