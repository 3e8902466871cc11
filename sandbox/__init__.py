"""Developer and demo tooling around the bot: a fake Telegram and a web chat to drive it.

Nothing in the bot imports this package; only the CLI starts it (``sellerbot sandbox``, or
``sellerbot run`` without a token), through ``bot.runner``. Tests and benchmarks use it freely.

- ``emulator/``: ``BotApiEmulator``, a fake Bot API server stricter than Telegram (spec checks,
  Telegram HTML, flood limits, injected faults); the e2e tests run the real bot against it
- ``users``: ``EmulatedUser``, a Telegram user driven from Python (send, press, upload, wait)
- ``spec``: request checks against the Bot API spec shipped beside it
  (``telegram-bot-api-10.1.json``)
- ``http_safety``: the HTTP defences the emulator and the web chat share
- ``webchat/``: the sandbox: the real bot on the emulator, a clock that can be fast-forwarded,
  and the page that drives it
- ``demo/``: the guided demo's flows (data) and the runner that plays them
- ``chat_log``, ``history``: what the sandbox keeps across restarts, and what the bot remembers
"""
