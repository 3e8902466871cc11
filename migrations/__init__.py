"""Alembic revisions for the sellerbot schema, shipped inside the package."""
