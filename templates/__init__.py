"""Every word the bot says: Jinja2 message templates, button labels and gettext catalogs."""

from templates.renderer import Renderer

__all__ = ["Renderer"]
