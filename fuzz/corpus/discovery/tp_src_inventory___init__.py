"""A tiny inventory library used as fastest's sample project."""
from .stock import Item, Stock, OutOfStock

__all__ = ["Item", "Stock", "OutOfStock"]
