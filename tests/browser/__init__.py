"""The sandbox web chat: its HTTP API, and the page driven in a real browser."""
