"""The guided demo's flows: what each persona does, step by step, and what the bot answers.

Pure data, played by ``sandbox.demo.runner``. A feature that lands appends its flow to
``FLOWS``. Each step reads ``persona.action(argument, a fragment of the bot's reply that
proves it worked, the caption the page shows)``; ``wait`` has no argument: it waits for a
message the bot sends on its own because of an earlier step (see ``sandbox.demo.steps``).
Arguments and expected replies may use ``{name}`` placeholders filled from an earlier step's
``capture``: the id of a warehouse, whose review button ``#{warehouse_id} Shenzhen main`` the
operator presses, or the buyer link the seller received, which the buyer clicks
(``open_link("{buyer_link}")``, a ``/start <token>`` from the buyer, as in Telegram).
``fast_forward`` moves the sandbox clock, where the simulated tracking provider plays the parcel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sandbox.demo.steps import DemoFlow, DemoStep, Persona

seller, buyer, operator = Persona("seller"), Persona("buyer"), Persona("operator")

STORE_NAME = "Shenzhen Gadgets"
WAREHOUSE_NAME = "Shenzhen main"
WAREHOUSE_DOCUMENT = "warehouse-certificate.pdf"  # one of SAMPLE_FILES
DAMAGE_PHOTO = "damaged-parcel.png"  # one of SAMPLE_FILES, sent as a photo
ORDER_NUMBER = "AE-1001"
TRACKING_NUMBER = "RB123456785GB"  # a valid UPU S10 number: its check digit is 5
SECOND_ORDER_NUMBER = "AE-1002"
# The simulated carrier misses the first delivery of a number starting with ZF
# (notifications/tracking/simulated_journeys.py, FORCED_PREFIXES); still a valid S10 number.
FAILING_TRACKING_NUMBER = "ZF123456785GB"
# The buyer link in the seller's "shipped" message: t.me/<bot>?start=<token>.
BUYER_LINK = r"(https://t\.me/\w+\?start=[A-Za-z0-9_-]+)"
# The case number in the seller's alert, "New return request R-7"; the seller's list shows
# "R-7 · AE-1002 · <status>" and the buyer's order card "📂 Return R-7".
CASE_NUMBER = r"New return request (R-\d+)"
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class DemoOrder:
    """An order the seller enters and ships to the United States, in dollars, from the warehouse
    WAREHOUSE_APPROVED registers: one line, shipped whole within three days."""

    number: str
    postcode: str
    product: str
    sku: str
    quantity: str
    unit_price: str
    weight_kg: str
    dimensions: str
    method: str
    carrier: str
    tracking_number: str
    buyer_link_as: str  # the capture the buyer's link is saved under


def _enter_and_ship(order: DemoOrder, notes: tuple[str, ...]) -> tuple[DemoStep, ...]:
    """The seller enters the order, confirms it, fills its shipping document and ships it; the
    bot then sends the link for the buyer. `notes` captions each step, the link's wait last."""
    script = (
        (seller.send, "/neworder", "marketplace order number"),
        (seller.send, order.number, "Which country does the order ship to"),
        (seller.press, "United States", "postcode of the delivery address"),
        (seller.send, order.postcode, "Which currency is the order in"),
        (seller.press, "USD", "the product name"),
        (seller.send, order.product, "The SKU of this product"),
        (seller.send, order.sku, "How many?"),
        (seller.send, order.quantity, "The unit price in USD"),
        (seller.send, order.unit_price, "Lines so far"),
        (seller.press, "Done with lines", "By when must the order ship"),
        (seller.press, "+3 d", "Please check the order"),
        (seller.press, "Create the order", "is saved and waits for your confirmation"),
        (seller.send, "/orders", "in this list"),
        (seller.press, order.number, "left to ship"),
        (seller.press, "Confirm order", "is confirmed"),
        (seller.press, "Open the order", "Confirmed, to ship"),
        (seller.press, "Shipping document", "Shipping document for order " + order.number),
        (seller.press, "✅ Continue", "the declared value for customs"),
        (seller.press, "Keep", "the actual weight"),
        (seller.send, order.weight_kg, "the outside dimensions"),
        (seller.send, order.dimensions, "what is in the parcel"),
        (seller.press, "✅ Done", "which warehouse ships it"),
        (seller.press, WAREHOUSE_NAME, "Logistics methods compared"),
        (seller.press, order.method, "which carrier"),
        (seller.send, order.carrier, "the tracking number"),
        (seller.send, order.tracking_number, "All compliance checks passed"),
        (
            seller.press,
            "Confirm and get the document",
            f"Shipping document · order {order.number} · {order.tracking_number}",
        ),
    )
    *step_notes, link_note = notes
    steps = tuple(
        act(argument, expect, note)
        for (act, argument, expect), note in zip(script, step_notes, strict=True)
    )
    link = seller.wait(
        "so they can follow the parcel",
        link_note,
        capture=BUYER_LINK,
        capture_as=order.buyer_link_as,
    )
    return (*steps, link)


SELLER_REGISTRATION = DemoFlow(
    name="seller_registration",
    title="A seller registers a store",
    steps=(
        seller.send("/start", "Who are you?", "The seller opens the bot"),
        seller.press(
            "I sell on AliExpress", "What is your store called", "…and says they sell on AliExpress"
        ),
        seller.send(
            STORE_NAME, "Which country is your business based in?", "They type the store name"
        ),
        seller.press("China", "Which language should I use", "They pick the home country"),
        seller.press("English", "Please check your store details", "…and the language"),
        seller.press("Create my store", "is registered", "They confirm: the store exists"),
    ),
)

WAREHOUSE_APPROVED = DemoFlow(
    name="warehouse_approved",
    title="A warehouse approved by an operator",
    steps=(
        seller.send("/warehouses", "Your warehouses", "The seller opens their warehouses"),
        seller.press("Add a warehouse", "New warehouse", "…and adds one"),
        seller.press(
            "Domestic warehouse",
            "What should this warehouse be called",
            "A domestic warehouse, in their home country",
        ),
        seller.send(WAREHOUSE_NAME, "A domestic warehouse is in your home country", "They name it"),
        seller.press("China", "Street address", "They confirm the country"),
        seller.send("1 Keji Road, Nanshan", "City:", "The street address…"),
        seller.send("Shenzhen", "Region, province or state", "…the city…"),
        seller.press("Skip", "Postcode", "…no region (it is optional)…"),
        seller.send("518000", "contact person", "…and a Chinese six-digit postcode"),
        seller.send("Li Wei", "phone number", "The contact person…"),
        seller.send("+86 138 0013 8000", "What does this warehouse do?", "…and their phone"),
        seller.press("Sorting", "What does this warehouse do?", "The warehouse sorts…"),
        seller.press("Shipping", "What does this warehouse do?", "…and ships"),
        seller.press("Done", "Business licence", "The bot asks for the certification documents"),
        seller.upload(
            WAREHOUSE_DOCUMENT,
            "All required documents are here",
            "The seller uploads the business licence (a PDF)",
        ),
        seller.press("Continue", "Please check the warehouse", "They check the summary…"),
        seller.press("Submit for review", "was sent for review", "…and submit it for review"),
        operator.wait(
            "Warehouse submitted for review",
            "The operator is notified",
            capture=r"\(#(\d+)\)",
            capture_as="warehouse_id",
        ),
        operator.send("/review", "Review queue", "The operator opens the review queue"),
        operator.press(
            "#{warehouse_id} " + WAREHOUSE_NAME,
            "Store: " + STORE_NAME,
            "…opens the warehouse: its documents come first",
        ),
        operator.press("Approve", "The seller has been notified", "…and approves it"),
        seller.wait(
            WAREHOUSE_NAME + " is verified",
            "The seller learns the warehouse is verified: orders can ship from it",
        ),
    ),
)

ORDER_SHIPPED = DemoFlow(
    name="order_shipped",
    title="An order confirmed and shipped",
    steps=_enter_and_ship(
        DemoOrder(
            number=ORDER_NUMBER,
            postcode="94105",
            product="Phone case",
            sku="PC-1",
            quantity="2",
            unit_price="12.50",
            weight_kg="1.2",
            dimensions="30x20x10",
            method="Sea freight",
            carrier="COSCO",
            tracking_number=TRACKING_NUMBER,
            buyer_link_as="buyer_link",
        ),
        notes=(
            "An order came in on AliExpress: the seller enters it",
            "The marketplace order number…",
            "…where it ships…",
            "…the buyer's postcode…",
            "…and the currency",
            "One line: the product…",
            "…its SKU…",
            "…the quantity…",
            "…and the unit price: a small order, $25",
            "That is the only line",
            "It must ship within three days",
            "They check the summary and create the order",
            "The order list shows what waits for confirmation",
            "The card counts down to the ship-by deadline",
            "The seller confirms the order",
            "The confirmed order can now ship",
            "They fill its shipping document",
            "The whole order goes in this parcel",
            "Declared value: the order total",
            "The parcel weighs 1.2 kg…",
            "…and measures 30×20×10 cm",
            "Nothing dangerous or fragile inside",
            "It ships from the verified warehouse: the bot compares the methods",
            "The seller picks sea freight",
            "The carrier…",
            "…and the tracking number, checked digit by digit",
            "They confirm: the printable PDF arrives",
            "…with a link to send the buyer",
        ),
    ),
)

PARCEL_DELIVERED = DemoFlow(
    name="parcel_delivered",
    title="The buyer follows the parcel to their door",
    steps=(
        buyer.open_link(
            "{buyer_link}",
            "Tracking number: " + TRACKING_NUMBER,
            "The buyer clicks the seller's link: the order, its status and its tracking number",
        ),
        buyer.fast_forward(
            "Your parcel is on its way",
            "Fast-forward a week at a time: the simulated parcel leaves China",
            every=WEEK,
            at_most=3 * WEEK,
        ),
        buyer.fast_forward(
            "Your parcel has been delivered",
            "…crosses the sea and customs, and is delivered (never a message at night)",
            every=WEEK,
            at_most=10 * WEEK,
        ),
        seller.send("/shipments", "Your shipments", "The seller's parcels, by where they are…"),
        seller.press(
            "Delivered",
            "Delivered: 1",
            "…this one delivered, and the seller never had to tell the buyer anything",
        ),
    ),
)

DELIVERY_FAILED = DemoFlow(
    name="delivery_failed",
    title="A failed delivery: the buyer is told what to do, the seller is alerted",
    steps=(
        *_enter_and_ship(
            DemoOrder(
                number=SECOND_ORDER_NUMBER,
                postcode="10001",
                product="USB cable",
                sku="UC-1",
                quantity="1",
                unit_price="8.90",
                weight_kg="0.2",
                dimensions="20x10x5",
                method="International express",
                carrier="China Post",
                tracking_number=FAILING_TRACKING_NUMBER,
                buyer_link_as="second_buyer_link",
            ),
            notes=(
                "A second order, sent by express",
                "Its number…",
                "…to the US…",
                "…New York",
                "In dollars",
                "One cable…",
                "…its SKU…",
                "…one of them…",
                "…at $8.90",
                "That is all",
                "Ship within three days",
                "Created",
                "The order list",
                "The new order",
                "Confirmed",
                "Ready to ship",
                "Ship it",
                "The whole order",
                "Declared at the order total",
                "A light parcel…",
                "…and a small one",
                "Nothing dangerous inside",
                "From the same warehouse",
                "By international express",
                "The carrier…",
                "…and a number starting with ZF: the simulated carrier will miss the buyer once",
                "Shipped",
                "…and the link for the buyer",
            ),
        ),
        buyer.open_link(
            "{second_buyer_link}",
            "Tracking number: " + FAILING_TRACKING_NUMBER,
            "The buyer clicks the link: now they follow two orders",
        ),
        # Half a day at a time: a failed attempt (9:00-16:00 at the buyer's) and the next
        # morning's new attempt are at least 15 hours apart, so no jump shows both to one
        # poll. A whole day could, from some times of day, and a poll that sees the courier
        # out again drops the failure it makes obsolete: the buyer would never hear of it.
        buyer.fast_forward(
            "could not deliver your parcel",
            "Half a day at a time: the courier finds nobody home, and the buyer hears at once",
            every=DAY / 2,
            at_most=14 * DAY,
        ),
        seller.wait("Delivery failed", "The seller is alerted too"),
        buyer.fast_forward(
            "Your parcel has been delivered",
            "The courier tries again the next day: delivered",
            every=DAY,
            at_most=3 * DAY,
        ),
    ),
)

# The order just delivered (the cable, $8.90) is well inside the store's return window.
RETURN_ORDER_NUMBER = SECOND_ORDER_NUMBER

RETURN_NEGOTIATED = DemoFlow(
    name="return_negotiated",
    title="A damaged item: the buyer opens a return, the two sides agree on a partial refund",
    steps=(
        buyer.send("/orders", "The orders you follow", "The cable arrived damaged: the buyer…"),
        buyer.press(
            RETURN_ORDER_NUMBER + " ·",
            "Tracking number: " + FAILING_TRACKING_NUMBER,
            "…opens the order",
        ),
        buyer.press("Return or exchange", "Which items is it about?", "…and asks for a return"),
        buyer.press("USB cable", "USB cable: 1 / 1", "The item…"),
        buyer.press("Continue ➡️", "What is wrong?", "…that is all"),
        buyer.press("Damaged in transit", "Anything to add for the store?", "Damaged in transit"),
        buyer.send(
            "The plug is bent and the cable is split.",
            "Send photos or a short video of the problem",
            "A few words; this reason needs proof",
        ),
        buyer.upload(DAMAGE_PHOTO, "Attached: 1 of 10", "The buyer sends a photo of the damage"),
        buyer.press("Done ➡️", "What would you like? You paid $8.90", "That is the proof"),
        buyer.press(
            "Refund only: the full amount",
            "Your request",
            "They ask for their money back and keep the cable",
        ),
        buyer.press(
            "Send the request", "The store has been told", "They check the request and send it"
        ),
        seller.wait(
            "New return request",
            "The seller is alerted at once; each side gets a topic for the case",
            capture=CASE_NUMBER,
            capture_as="case",
        ),
        seller.send("/returns", "Your returns", "The seller opens their returns…"),
        seller.press(
            "{case} ·",
            "The buyer asks for: Full refund",
            "…and the case: the reason, the photo, the deadline to answer",
        ),
        seller.press("Counter-offer", "What do you propose instead?", "They counter…"),
        seller.press("Partial refund", "How much is refunded?", "…with a partial refund…"),
        seller.send("30%", "Partial refund · $2.67", "…of 30%, worked out from what was paid"),
        seller.press("Send the offer", "Offer sent", "The offer goes to the buyer"),
        buyer.wait(
            "Shenzhen Gadgets countered your offer",
            "The buyer hears of it (the seller's Telegram account stays hidden)",
        ),
        buyer.send("/orders", "The orders you follow", "They open the order…"),
        buyer.press(RETURN_ORDER_NUMBER + " ·", "Your return requests", "…where the case is"),
        buyer.press("Return {case}", "The store's offer on the table", "…and the store's offer"),
        buyer.press("Counter-offer", "What do you propose instead?", "The buyer counters…"),
        buyer.press("Partial refund", "How much is refunded?", "…with a partial refund…"),
        buyer.send("50%", "Partial refund · $4.45", "…of half"),
        buyer.press("Send the offer", "Offer sent", "Sent"),
        seller.wait("The buyer countered your offer", "The seller hears of the counter"),
        seller.send("/returns", "Your returns", "They open their returns…"),
        seller.press("{case} ·", "The buyer's offer on the table", "…and the case"),
        # The press waits for the notice in the case's topic, not the answer in the main chat:
        # the demo ends when both sides have it, so the page has followed both into the topic.
        seller.press("✅ Accept", "Agreed in return {case}", "The seller accepts half"),
        buyer.wait(
            "Agreed in return {case}",
            "Both sides get the agreement and what comes next: the store refunds",
        ),
    ),
)

FLOWS: tuple[DemoFlow, ...] = (
    SELLER_REGISTRATION,
    WAREHOUSE_APPROVED,
    ORDER_SHIPPED,
    PARCEL_DELIVERED,
    DELIVERY_FAILED,
    RETURN_NEGOTIATED,
)
