"""Rate-card data shipped with the bot: `example.json`, the labelled example rates.

Read through `domain.logistics.example_rate_card()`; a seller replaces them with their own card.
"""
