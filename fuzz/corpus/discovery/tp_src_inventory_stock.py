from dataclasses import dataclass, field


class OutOfStock(Exception):
    """Raised when taking more of an item than the stock holds."""


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    price_cents: int

    def price(self) -> float:
        return self.price_cents / 100


@dataclass
class Stock:
    counts: dict = field(default_factory=dict)

    def add(self, item: Item, quantity: int = 1) -> None:
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self.counts[item.sku] = self.counts.get(item.sku, 0) + quantity

    def take(self, item: Item, quantity: int = 1) -> None:
        have = self.counts.get(item.sku, 0)
        if quantity > have:
            raise OutOfStock(f"{item.sku}: have {have}, want {quantity}")
        self.counts[item.sku] = have - quantity

    def count(self, item: Item) -> int:
        return self.counts.get(item.sku, 0)

    async def count_async(self, item: Item) -> int:
        return self.count(item)
