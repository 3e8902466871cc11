"""Seller-facing conversations."""
