"""The clinic's price list for paid services, with validity dates (a new price closes the
old one the day before, so estimates made earlier keep their prices)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Iterable

import sqlalchemy as sa
from sqlmodel import select

from .. import backend
from ..errors import Conflict, NotFound
from ..models import PriceItem
from ..unit import SYSTEM_USER, UnitOfWork, as_date


class Prices(UnitOfWork):
    """The price list."""

    def prices_on(self, on: date) -> list[PriceItem]:
        """The price list in force on `on` (valid_from <= on <= valid_until), by code."""
        with self._read() as session:
            return list(session.exec(
                select(PriceItem).where(PriceItem.valid_from <= on,
                                        sa.or_(PriceItem.valid_until.is_(None),
                                               PriceItem.valid_until >= on))
                .order_by(PriceItem.code)))

    def price_history(self, code: str) -> list[PriceItem]:
        with self._read() as session:
            return list(session.exec(select(PriceItem).where(PriceItem.code == code)
                                     .order_by(PriceItem.valid_from)))

    def seed_prices(self, items: Iterable[dict], *, now: datetime,
                    valid_from: date | None = None) -> int:
        """First start: load the demo price list if the price table is empty; otherwise do
        nothing. Returns how many rows were added.

        An item has code, price, valid_from (or the `valid_from` argument), optional
        valid_until, and names either as name_ru/name_kk or as name: {ru, kk} (the reference
        data's shape); a unit given as {ru, kk} is stored in Russian.
        """
        with self._write() as session:
            backend.serialize(session, backend.SEED_LOCK)  # desks starting at once seed once
            if session.exec(select(PriceItem.id).limit(1)).first() is not None:
                return 0
            count = 0
            for item in items:
                names = item.get("name") if isinstance(item.get("name"), dict) else {}
                name_ru = item.get("name_ru") or names.get("ru")
                unit = item.get("unit") or ""
                start = as_date(item.get("valid_from")) or valid_from
                if not item.get("code") or not name_ru or start is None:
                    raise ValueError(f"price item needs code, name and valid_from: {item!r}")
                session.add(PriceItem(
                    code=item["code"], name_ru=name_ru,
                    name_kk=item.get("name_kk") or names.get("kk") or name_ru,
                    unit=unit.get("ru", "") if isinstance(unit, dict) else str(unit),
                    price=Decimal(str(item["price"])), valid_from=start,
                    valid_until=as_date(item.get("valid_until")),
                    created_at=now, created_by=SYSTEM_USER))
                count += 1
            self._audit(session, user=SYSTEM_USER, action="seed", obj="price_item", now=now,
                        details={"items": count})
            return count

    def set_price(self, code: str, *, price: Decimal | str, valid_from: date, actor: str,
                  now: datetime, name_ru: str | None = None, name_kk: str | None = None,
                  unit: str | None = None) -> int:
        """Administrator: a new price for `code` from `valid_from`. The row in force closes the
        day before, so estimates made earlier keep their prices. Returns the new row id."""
        price = Decimal(str(price))
        if price < 0:
            raise ValueError("price must not be negative")
        with self._write() as session:
            self._require_role(session, actor)
            rows = list(session.exec(select(PriceItem).where(PriceItem.code == code)
                                     .order_by(PriceItem.valid_from)))
            current = next((r for r in reversed(rows) if r.valid_from <= valid_from), None)
            later = [r for r in rows if r.valid_from > valid_from]
            if later:
                raise Conflict(f"Для {code} уже есть цена с {later[0].valid_from} — "
                               f"{code} already has a price from {later[0].valid_from}",
                               kk=f"{code} үшін {later[0].valid_from} бастап баға бұрыннан бар")
            template = current or (rows[-1] if rows else None)
            if template is None and not name_ru:
                raise NotFound(f"price item {code} (give name_ru to create it)")
            if current is not None and current.valid_until is not None \
                    and current.valid_until < valid_from:
                current = None  # ended before: the new price starts after a gap
            if current is not None:
                if current.valid_from == valid_from:
                    raise Conflict(f"Цена {code} с {valid_from} уже задана — "
                                   f"{code} already has a price from {valid_from}",
                                   kk=f"{code} бағасы {valid_from} бастап бұрыннан берілген")
                current.valid_until = valid_from - timedelta(days=1)
                session.add(current)
            row = PriceItem(code=code, name_ru=name_ru or template.name_ru,
                            name_kk=name_kk or (template.name_kk if template else name_ru),
                            unit=unit if unit is not None else (template.unit if template else ""),
                            price=price, valid_from=valid_from, valid_until=None,
                            created_at=now, created_by=actor)
            session.add(row)
            session.flush()
            self._audit(session, user=actor, action="update", obj=f"price:{code}", now=now,
                        details={"price": str(price), "valid_from": valid_from.isoformat(),
                                 "previous": str(current.price) if current else None})
            return row.id
