"""The countries the marketplace cannot serve: those under a comprehensive embargo.

A comprehensive embargo forbids almost all trade with a country, not only some goods, companies
or people. The marketplace, the payment networks and the carriers it works with do not take an
order to such a country, nor goods shipped from one: an order there could be neither paid nor
delivered, and a parcel from there could not enter the marketplace's logistics. So wherever a
country enters as a place goods travel to or from, one of these is refused, saying why:

- an order's ship-to country, however the order comes in (the new-order conversation, order
  files: `domain.services.orders.cleaning.clean_ship_to_country`); the country buttons offered
  for it leave these out;
- a warehouse's country (`domain.services.warehouses.check_country`): goods cannot ship from
  there either;
- a lane of a rate card the seller sends that names one as where it starts or ends
  (`domain.logistics.card_validation.load_sent_rate_card`). A zone's list of countries may
  still include one: that is geography copied from a carrier's table, and no order travels
  there. A card stored before this rule is still read;
- the compliance check of a shipping document (`domain.compliance`), for an order or a
  warehouse entered before this rule.

A store's home country is refused too (`domain.services.sellers.check_home_country`, at
registration; the buttons leave these out): a store there could declare no domestic warehouse,
and the marketplace cannot serve it. A store registered before this rule is refused a domestic
warehouse as soon as it picks that kind (`domain.drafts.warehouse`), saying why.

Targeted sanctions (on some goods, companies or people) do not close a country, and regions
under embargo that are not countries (they share a country code with the rest of it) cannot be
told apart here; neither is covered.
"""

from __future__ import annotations

from collections.abc import Iterable

# ISO 3166-1 alpha-2: Cuba, Iran, North Korea, Syria.
EMBARGOED_COUNTRIES: frozenset[str] = frozenset({"CU", "IR", "KP", "SY"})


def is_embargoed(country: str) -> bool:
    return country.upper() in EMBARGOED_COUNTRIES


def served(countries: Iterable[str]) -> list[str]:
    """The countries goods may travel to or from, in the order given: what may be offered."""
    return [country for country in countries if not is_embargoed(country)]
