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

from datetime import timedelta

from sandbox.demo.steps import DemoFlow, Persona

__all__ = [
    "DELIVERY_FAILED",
    "FAILING_TRACKING_NUMBER",
    "FLOWS",
    "ORDER_NUMBER",
    "ORDER_SHIPPED",
    "PARCEL_DELIVERED",
    "SECOND_ORDER_NUMBER",
    "SELLER_REGISTRATION",
    "STORE_NAME",
    "TRACKING_NUMBER",
    "WAREHOUSE_APPROVED",
    "WAREHOUSE_DOCUMENT",
    "WAREHOUSE_NAME",
]

seller, buyer, operator = Persona("seller"), Persona("buyer"), Persona("operator")

STORE_NAME = "Shenzhen Gadgets"
WAREHOUSE_NAME = "Shenzhen main"
WAREHOUSE_DOCUMENT = "warehouse-certificate.pdf"  # one of SAMPLE_FILES
ORDER_NUMBER = "AE-1001"
TRACKING_NUMBER = "RB123456785GB"  # a valid UPU S10 number: its check digit is 5
SECOND_ORDER_NUMBER = "AE-1002"
# The simulated carrier misses the first delivery of a number starting with ZF
# (notifications/tracking/simulated_journeys.py, FORCED_PREFIXES); still a valid S10 number.
FAILING_TRACKING_NUMBER = "ZF123456785GB"
# The buyer link in the seller's "shipped" message: t.me/<bot>?start=<token>.
BUYER_LINK = r"(https://t\.me/\w+\?start=[A-Za-z0-9_-]+)"
DAY = timedelta(days=1)
WEEK = timedelta(days=7)

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
    steps=(
        seller.send(
            "/neworder",
            "marketplace order number",
            "An order came in on AliExpress: the seller enters it",
        ),
        seller.send(
            ORDER_NUMBER, "Which country does the order ship to", "The marketplace order number…"
        ),
        seller.press("United States", "postcode of the delivery address", "…where it ships…"),
        seller.send("94105", "Which currency is the order in", "…the buyer's postcode…"),
        seller.press("USD", "the product name", "…and the currency"),
        seller.send("Phone case", "The SKU of this product", "One line: the product…"),
        seller.send("PC-1", "How many?", "…its SKU…"),
        seller.send("2", "The unit price in USD", "…the quantity…"),
        seller.send("12.50", "Lines so far", "…and the unit price: a small order, $25"),
        seller.press("Done with lines", "By when must the order ship", "That is the only line"),
        seller.press("+3 d", "Please check the order", "It must ship within three days"),
        seller.press(
            "Create the order",
            "is saved and waits for your confirmation",
            "They check the summary and create the order",
        ),
        seller.send("/orders", "in this list", "The order list shows what waits for confirmation"),
        seller.press(ORDER_NUMBER, "left to ship", "The card counts down to the ship-by deadline"),
        seller.press("Confirm order", "is confirmed", "The seller confirms the order"),
        seller.press("Open the order", "Confirmed, to ship", "The confirmed order can now ship"),
        seller.press(
            "Shipping document",
            "Shipping document for order " + ORDER_NUMBER,
            "They fill its shipping document",
        ),
        seller.press(
            "✅ Continue", "the declared value for customs", "The whole order goes in this parcel"
        ),
        seller.press("Keep", "the actual weight", "Declared value: the order total"),
        seller.send("1.2", "the outside dimensions", "The parcel weighs 1.2 kg…"),
        seller.send("30x20x10", "what is in the parcel", "…and measures 30×20×10 cm"),
        seller.press("✅ Done", "which warehouse ships it", "Nothing dangerous or fragile inside"),
        seller.press(
            WAREHOUSE_NAME,
            "Logistics methods compared",
            "It ships from the verified warehouse: the bot compares the methods",
        ),
        seller.press("Sea freight", "which carrier", "The seller picks sea freight"),
        seller.send("COSCO", "the tracking number", "The carrier…"),
        seller.send(
            TRACKING_NUMBER,
            "All compliance checks passed",
            "…and the tracking number, checked digit by digit",
        ),
        seller.press(
            "Confirm and get the document",
            f"Shipping document · order {ORDER_NUMBER} · {TRACKING_NUMBER}",
            "They confirm: the printable PDF arrives",
        ),
        seller.wait(
            "so they can follow the parcel",
            "…with a link to send the buyer",
            capture=BUYER_LINK,
            capture_as="buyer_link",
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
        seller.send("/neworder", "marketplace order number", "A second order, sent by express"),
        seller.send(SECOND_ORDER_NUMBER, "Which country does the order ship to", "Its number…"),
        seller.press("United States", "postcode of the delivery address", "…to the US…"),
        seller.send("10001", "Which currency is the order in", "…New York"),
        seller.press("USD", "the product name", "In dollars"),
        seller.send("USB cable", "The SKU of this product", "One cable…"),
        seller.send("UC-1", "How many?", "…its SKU…"),
        seller.send("1", "The unit price in USD", "…one of them…"),
        seller.send("8.90", "Lines so far", "…at $8.90"),
        seller.press("Done with lines", "By when must the order ship", "That is all"),
        seller.press("+3 d", "Please check the order", "Ship within three days"),
        seller.press("Create the order", "is saved and waits for your confirmation", "Created"),
        seller.send("/orders", "in this list", "The order list"),
        seller.press(SECOND_ORDER_NUMBER, "left to ship", "The new order"),
        seller.press("Confirm order", "is confirmed", "Confirmed"),
        seller.press("Open the order", "Confirmed, to ship", "Ready to ship"),
        seller.press(
            "Shipping document", "Shipping document for order " + SECOND_ORDER_NUMBER, "Ship it"
        ),
        seller.press("✅ Continue", "the declared value for customs", "The whole order"),
        seller.press("Keep", "the actual weight", "Declared at the order total"),
        seller.send("0.2", "the outside dimensions", "A light parcel…"),
        seller.send("20x10x5", "what is in the parcel", "…and a small one"),
        seller.press("✅ Done", "which warehouse ships it", "Nothing dangerous inside"),
        seller.press(WAREHOUSE_NAME, "Logistics methods compared", "From the same warehouse"),
        seller.press("International express", "which carrier", "By international express"),
        seller.send("China Post", "the tracking number", "The carrier…"),
        seller.send(
            FAILING_TRACKING_NUMBER,
            "All compliance checks passed",
            "…and a number starting with ZF: the simulated carrier will miss the buyer once",
        ),
        seller.press(
            "Confirm and get the document",
            f"Shipping document · order {SECOND_ORDER_NUMBER} · {FAILING_TRACKING_NUMBER}",
            "Shipped",
        ),
        seller.wait(
            "so they can follow the parcel",
            "…and the link for the buyer",
            capture=BUYER_LINK,
            capture_as="second_buyer_link",
        ),
        buyer.open_link(
            "{second_buyer_link}",
            "Tracking number: " + FAILING_TRACKING_NUMBER,
            "The buyer clicks the link: now they follow two orders",
        ),
        buyer.fast_forward(
            "could not deliver your parcel",
            "A day at a time: the courier finds nobody home, and the buyer hears at once",
            every=DAY,
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

# Later issues append their flows here (return).
FLOWS: tuple[DemoFlow, ...] = (
    SELLER_REGISTRATION,
    WAREHOUSE_APPROVED,
    ORDER_SHIPPED,
    PARCEL_DELIVERED,
    DELIVERY_FAILED,
)
