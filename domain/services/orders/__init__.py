"""The seller's orders, one module per job; import the module and use names through it
(`from domain.services.orders import lifecycle`, then `lifecycle.confirm_order(...)`).

- `cleaning`: order fields as they arrive, checked and cleaned (pure)
- `intake`: `NewOrder` -> `build_order` (the one set of intake rules) -> `create_order`
- `file_import`: a seller's order file planned row by row, then saved in batches
- `import_jobs`: the background import around it (its record, lease and report)
- `lifecycle`: the caller's order, confirmation, cancellation
- `redelivery`: a lost or returned parcel: sending the goods again, or cancelling and refunding
- `lists`: the seller's order lists, a page at a time
- `reminders`: ship-by reminders queued in the outbox
- `buyer_links`: issuing the buyer's deep link
- `audit`: the audit entry of an order change
"""
