"""Returns and exchanges: the rules that need no database.

`rules` (reasons, resolutions, statuses, sides, actions, limits), `policy` (a seller's return
policy), `offers` (the terms of a resolution and their caps), `deadlines` (who must answer by
when, and the reminders), `masking` (contact details taken out of relayed messages). The
aggregate itself is `domain.model.returns.ReturnCase`.
"""
