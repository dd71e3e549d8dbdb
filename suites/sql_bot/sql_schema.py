"""The Harbor Goods back-office schema: tables, columns, their meaning; the DDL, the compact
schema the system prompt carries and one retrieval document per table."""
from __future__ import annotations

# table -> {column: (SQL type, meaning)}; a tenant table carries shop_id (Harbor Goods is 1)
TABLES: dict[str, dict[str, tuple[str, str]]] = {
    "shops": {"shop_id": ("INTEGER PRIMARY KEY", "the shop (tenant); Harbor Goods is 1"),
              "name": ("TEXT", "shop name"), "country": ("TEXT", "two-letter country code")},
    "categories": {"category_id": ("INTEGER PRIMARY KEY", "category key"),
                   "name": ("TEXT", "category name, e.g. 'Kitchen', 'Garden', 'Lighting'")},
    "customers": {"customer_id": ("INTEGER PRIMARY KEY", "customer key"),
                  "shop_id": ("INTEGER REFERENCES shops", "tenant"),
                  "name": ("TEXT", "full name, e.g. 'Ana Costa'"), "email": ("TEXT", "e-mail"),
                  "city": ("TEXT", "city, e.g. 'Lisbon', 'Porto', 'Berlin'"),
                  "signup_date": ("TEXT", "date the account was created, 'YYYY-MM-DD'"),
                  "tier": ("TEXT", "loyalty tier: 'standard', 'silver' or 'gold'")},
    "products": {"product_id": ("INTEGER PRIMARY KEY", "product key"),
                 "shop_id": ("INTEGER REFERENCES shops", "tenant"),
                 "category_id": ("INTEGER REFERENCES categories", "the product's category"),
                 "name": ("TEXT", "product name, e.g. 'Oak Bowl'"),
                 "price": ("REAL", "current price in EUR"),
                 "stock": ("INTEGER", "units in the warehouse")},
    "orders": {"order_id": ("INTEGER PRIMARY KEY", "order key"),
               "shop_id": ("INTEGER REFERENCES shops", "tenant"),
               "customer_id": ("INTEGER REFERENCES customers", "who ordered"),
               "order_date": ("TEXT", "date placed, 'YYYY-MM-DD' (2024 and 2025)"),
               "status": ("TEXT", "'pending', 'shipped', 'delivered', 'cancelled' or 'refunded'"),
               "total": ("REAL", "order total in EUR")},
    "order_items": {"item_id": ("INTEGER PRIMARY KEY", "line key"),
                    "order_id": ("INTEGER REFERENCES orders", "the order"),
                    "product_id": ("INTEGER REFERENCES products", "the product"),
                    "quantity": ("INTEGER", "units ordered"),
                    "unit_price": ("REAL", "price per unit in EUR when ordered")},
    "payments": {"payment_id": ("INTEGER PRIMARY KEY", "payment key"),
                 "order_id": ("INTEGER REFERENCES orders", "the order paid"),
                 "method": ("TEXT", "'card', 'paypal', 'bank_transfer' or 'gift_card'"),
                 "amount": ("REAL", "amount paid in EUR"),
                 "paid_at": ("TEXT", "payment date, 'YYYY-MM-DD'")},
    "agents": {"agent_id": ("INTEGER PRIMARY KEY", "support agent key"),
               "shop_id": ("INTEGER REFERENCES shops", "tenant"), "name": ("TEXT", "agent name"),
               "team": ("TEXT", "'billing', 'shipping' or 'returns'")},
    "tickets": {"ticket_id": ("INTEGER PRIMARY KEY", "support ticket key"),
                "shop_id": ("INTEGER REFERENCES shops", "tenant"),
                "customer_id": ("INTEGER REFERENCES customers", "who opened it"),
                "agent_id": ("INTEGER REFERENCES agents", "agent handling it"),
                "order_id": ("INTEGER REFERENCES orders", "the order it is about, or NULL"),
                "opened_at": ("TEXT", "date opened, 'YYYY-MM-DD'"),
                "closed_at": ("TEXT", "date closed, 'YYYY-MM-DD', NULL while not closed"),
                "priority": ("TEXT", "'low', 'normal', 'high' or 'urgent'"),
                "status": ("TEXT", "'open', 'pending' or 'closed'"),
                "subject": ("TEXT", "e.g. 'Late delivery', 'Refund request', 'Damaged item'")},
}


def ddl() -> str:
    return "\n".join(f"CREATE TABLE {t} ("
                     + ", ".join(f"{c} {ty}" for c, (ty, _) in cols.items()) + ");"
                     for t, cols in TABLES.items())


def schema_prompt() -> str:
    """One line per table, `table(col, col, ...)`: what the suite's system prompt lists."""
    return "\n".join(f"{t}({', '.join(cols)})" for t, cols in TABLES.items())


def docs(conn) -> dict[str, str]:
    """One Markdown document per table: its columns, their meaning, row count and joins."""
    out = {}
    for t, cols in TABLES.items():
        n = conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        lines = [f"# Table {t}", "", f"{n} rows. Columns:"]
        for c, (ty, meaning) in cols.items():
            ref = ty.split("REFERENCES ")[1] if "REFERENCES" in ty else None
            join = f"; join {ref} ON {ref}.{c} = {t}.{c}" if ref else ""
            lines.append(f"- {t}.{c} ({ty.split()[0].lower()}): {meaning}{join}")
        if "shop_id" in cols and t != "shops":
            lines += ["", f"Every query on {t} must keep WHERE {t}.shop_id = 1 (Harbor Goods); "
                          "rows of other shops belong to other tenants."]
        out[t] = "\n".join(lines) + "\n"
    return out
