"""The new order's draft: order number -> ship-to country -> postcode -> currency -> lines
(product name -> SKU -> quantity -> unit price, repeated) -> ship-by date.

The rules of the conversation live here: another country drops the postcode (another format),
another currency must still fit every price entered, Back from the list of lines reopens the
last line at its price, a line in the list may be entered again or removed (editing the lines
from the summary keeps them), and an order has at most `MAX_LINES` lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from domain.drafts.answers import answered
from domain.drafts.stored import StoredDraft
from domain.errors import InvalidInput
from domain.model import OrderSource
from domain.services.orders import cleaning, intake

MAX_LINES = cleaning.MAX_LINES


@dataclass(frozen=True)
class OrderDraft(StoredDraft):
    seller_id: int
    number: str | None = None
    country: str | None = None
    postcode: str | None = None
    currency: str | None = None
    lines: tuple[intake.NewOrderLine, ...] = ()
    # The line being entered: product_name, then sku, then quantity (its price ends it), and
    # "replaces", the index of the line it takes the place of when one is entered again.
    line: dict[str, Any] = field(default_factory=dict)
    ship_by: str | None = None  # ISO 8601, UTC

    def with_number(self, raw: str) -> OrderDraft:
        return replace(self, number=cleaning.clean_order_number(raw))

    def with_country(self, raw: str) -> OrderDraft:
        country = cleaning.clean_ship_to_country(raw)
        if self.country not in (None, country):
            # Another country has another postcode format: the old one is asked again.
            return replace(self, country=country, postcode=None)
        return replace(self, country=country)

    def with_postcode(self, raw: str | None) -> OrderDraft:
        """None skips it, which is refused where the country has postcodes."""
        return replace(self, postcode=cleaning.clean_postcode(answered(self.country), raw))

    def with_currency(self, raw: str) -> OrderDraft:
        currency = cleaning.clean_currency(raw)
        for line in self.lines:
            # Prices already entered must still fit the new currency (JPY has no cents); the
            # refusal names the line, since the seller typed no price just now.
            try:
                cleaning.clean_unit_price(line.unit_price, currency)
            except InvalidInput as error:
                raise InvalidInput(
                    "orders.line_price_unfit",
                    product=line.product_name,
                    price=str(line.unit_price),
                    currency=currency,
                    decimals=error.params.get("decimals", 0),
                ) from None
        return replace(self, currency=currency)

    # ----- lines -----
    def start_line(self) -> OrderDraft:
        if len(self.lines) >= MAX_LINES:
            raise InvalidInput("orders.too_many_lines", max=MAX_LINES)
        return replace(self, line={})

    def line_index(self, raw: str) -> int:
        """The index of the line a typed number (as the list shows it, from 1) means."""
        text = raw.strip().removeprefix("#")
        if not text.isdecimal() or not 1 <= int(text) <= len(self.lines):
            raise InvalidInput("orders.line_number_invalid", max=len(self.lines))
        return int(text) - 1

    def change_line(self, index: int) -> OrderDraft:
        """Enter line `index` again; it keeps its place, and stays as it was until the new
        price replaces it (Back on the way leaves it unchanged)."""
        if not 0 <= index < len(self.lines):
            raise InvalidInput("errors.invalid_choice")
        return replace(self, line={"replaces": index})

    def remove_line(self, index: int) -> OrderDraft:
        if not 0 <= index < len(self.lines):
            raise InvalidInput("errors.invalid_choice")
        return replace(self, lines=self.lines[:index] + self.lines[index + 1 :], line={})

    @property
    def line_number(self) -> int:
        """The number of the line being entered, as the list shows it."""
        replaces = self.line.get("replaces")
        return len(self.lines) + 1 if replaces is None else int(replaces) + 1

    def with_product_name(self, raw: str) -> OrderDraft:
        name = cleaning.clean_product_name(raw)
        kept = {k: v for k, v in self.line.items() if k == "replaces"}
        return replace(self, line={**kept, "product_name": name})

    def with_sku(self, raw: str | None) -> OrderDraft:
        sku = None if raw is None else cleaning.clean_sku(raw)
        return replace(self, line={**self.line, "sku": sku})

    def with_quantity(self, raw: str) -> OrderDraft:
        return replace(self, line={**self.line, "quantity": cleaning.clean_quantity(raw)})

    def with_unit_price(self, raw: str) -> OrderDraft:
        """The price ends the line: it joins the order's lines."""
        price = cleaning.clean_unit_price(raw, answered(self.currency))
        fields = {k: v for k, v in self.line.items() if k != "replaces"}
        line = intake.NewOrderLine(**{**fields, "unit_price": str(price)})
        replaces = self.line.get("replaces")
        if replaces is None:
            return replace(self, lines=(*self.lines, line), line={})
        lines = list(self.lines)
        lines[int(replaces)] = line
        return replace(self, lines=tuple(lines), line={})

    def finish_lines(self) -> OrderDraft:
        if not self.lines:
            raise InvalidInput("orders.no_lines")
        return self

    def reopen_last_line(self) -> OrderDraft:
        """Back from the list of lines: the last line is entered again from its price."""
        if not self.lines:
            return self
        last = self.lines[-1]
        line = {"product_name": last.product_name, "sku": last.sku, "quantity": last.quantity}
        return replace(self, lines=self.lines[:-1], line=line)

    # ----- ship-by -----
    def with_ship_by(self, raw: str, now: datetime) -> OrderDraft:
        return replace(self, ship_by=cleaning.clean_ship_by(raw, now).isoformat())

    def ship_in_days(self, days: int, now: datetime) -> OrderDraft:
        day = now.date() + timedelta(days=days)
        return replace(self, ship_by=cleaning.clean_ship_by(day, now).isoformat())

    # ----- the result -----
    def command(self, actor_id: int | None = None) -> intake.NewOrder:
        """The order as entered; `intake.build_order` checks it as a whole."""
        return intake.NewOrder(
            seller_id=self.seller_id,
            number=answered(self.number),
            ship_to_country=answered(self.country),
            ship_to_postcode=self.postcode,
            currency=answered(self.currency),
            ship_by=answered(self.ship_by),
            lines=list(self.lines),
            source=OrderSource.CONVERSATION,
            actor_id=actor_id,
        )
