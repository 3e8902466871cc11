"""Every word the bot says: Jinja2 message templates, button labels and gettext catalogs."""

from templates.renderer import Renderer, shared_renderer

__all__ = ["Renderer", "shared_renderer"]
