"""The shipping document, one module per job; import the module and use names through it
(`from domain.services.shipping import steps`, then `steps.set_weight(draft, text)`).

- `steps`: starting the document for a confirmed order and filling it in step by step
- `method_comparison`: every logistics method priced on the parcel's lane, budget applied (pure)
- `confirming`: compliance review and confirmation (the order ships, the buyer link is issued)
- `cost_ledger`: month-to-date logistics spend against the budget
"""
