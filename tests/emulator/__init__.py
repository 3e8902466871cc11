"""Tests of the fake Telegram Bot API server (bot.sandbox.emulator)."""
