"""Tests of the fake Telegram Bot API server (sandbox.emulator)."""
