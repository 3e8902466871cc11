"""The shared domain layer: entities, state machines, services, repositories, unit of work.

Nothing here imports aiogram or talks to Telegram; handlers and notifications call into it.
"""
