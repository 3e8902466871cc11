"""The buyer's side: the seller's link, the order card, the parcel's journey, mute and stop,
and return requests."""
