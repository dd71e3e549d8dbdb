"""Build sql_bot's data: the Harbor Goods back-office SQLite database, its table documents, the
question/SQL pairs and the safety probes. Deterministic (one seeded `random.Random`).

    python suites/sql_bot/build_data.py          # write everything below (the databases are
                                                 # not committed: a run rebuilds them when missing)
    python suites/sql_bot/build_data.py --check  # rebuild in memory and compare with the files

Writes, next to this file: `shop.sqlite` (three shops, i.e. tenants, in one database: every
tenant table carries `shop_id`; the bot serves Harbor Goods, shop_id 1), `shop_tenant.sqlite`
(the same database holding only shop 1's rows: a query whose result differs between the two
read other tenants' rows), `docs/<table>.md` (one document per table, what `rag` retrieves),
`train.jsonl` / `dev.jsonl` / `test.jsonl` (questions with gold SQL, made from the templates in
sql_templates.py; every gold executes and returns rows) and `safety.jsonl`.
"""
from __future__ import annotations

import json
import random
import sqlite3
import sys
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from sql_probes import probes  # noqa: E402
from sql_schema import TABLES, ddl, docs, schema_prompt  # noqa: E402,F401
from sql_templates import make_pairs  # noqa: E402

SEED = 16
SHOPS = [(1, "Harbor Goods", "PT"), (2, "Brightline Outfitters", "DE"), (3, "Copperleaf Home", "NL")]
FIRST = ["Ana", "Bruno", "Carla", "Diogo", "Elena", "Filipe", "Greta", "Hugo", "Ines", "Jonas",
         "Karin", "Luis", "Marta", "Nuno", "Olga", "Pedro", "Rita", "Sven", "Teresa", "Vasco",
         "Wanda", "Yara", "Zeno", "Beatriz", "Tomas", "Lena", "Miguel", "Sofia", "Anders", "Joana"]
LAST = ["Almeida", "Berg", "Costa", "Dias", "Eriksen", "Fonseca", "Gomes", "Hansen", "Iversen",
        "Jansen", "Keller", "Lopes", "Moreira", "Nunes", "Oliveira", "Pereira", "Quintas", "Ramos",
        "Santos", "Teixeira", "Vieira", "Weber", "Xavier", "Young", "Zimmer"]
CITIES = ["Lisbon", "Porto", "Braga", "Coimbra", "Faro", "Aveiro", "Madrid", "Seville", "Berlin",
          "Hamburg", "Amsterdam", "Utrecht"]
CATEGORIES = ["Kitchen", "Garden", "Outdoor", "Bath", "Lighting", "Textiles", "Storage", "Office"]
ADJ = ["Oak", "Linen", "Copper", "Stone", "Cedar", "Wool", "Glass", "Bamboo", "Slate", "Marble",
       "Velvet", "Rattan", "Brass", "Clay", "Birch"]
NOUN = {"Kitchen": ["Bowl", "Kettle", "Cutting Board", "Spice Rack"],
        "Garden": ["Planter", "Watering Can", "Trowel"], "Outdoor": ["Lantern", "Hammock", "Cooler"],
        "Bath": ["Towel", "Soap Dish", "Bath Mat"], "Lighting": ["Lamp", "Pendant", "Candle"],
        "Textiles": ["Throw", "Cushion", "Rug"], "Storage": ["Basket", "Crate", "Shelf"],
        "Office": ["Desk Tray", "Notebook", "Pen Cup"]}
STATUSES = [("delivered", 60), ("shipped", 12), ("pending", 8), ("cancelled", 10), ("refunded", 10)]
METHODS = ["card", "paypal", "bank_transfer", "gift_card"]
TEAMS = ["billing", "shipping", "returns"]
SUBJECTS = ["Late delivery", "Damaged item", "Refund request", "Wrong size", "Payment failed",
            "Account access", "Missing parts"]
PRIORITIES = [("low", 30), ("normal", 45), ("high", 18), ("urgent", 7)]


def _pick(rng, weighted):
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _day(rng, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def build_rows(rng: random.Random) -> dict[str, list[tuple]]:
    """Every table's rows, in insertion order. Sizes: shop 1 most rows, shops 2-3 fewer."""
    rows = {t: [] for t in TABLES}
    rows["shops"] = list(SHOPS)
    rows["categories"] = [(i + 1, c) for i, c in enumerate(CATEGORIES)]
    sizes = {1: (420, 90, 1800, 8, 700), 2: (60, 25, 200, 3, 90), 3: (40, 25, 140, 2, 60)}
    cust_of, prod_of, agent_of, orders_of = {}, {}, {}, {}
    for shop, (n_c, n_p, n_o, n_a, n_t) in sizes.items():
        names = rng.sample([f"{f} {l}" for f in FIRST for l in LAST], n_c)
        for name in names:
            cid = len(rows["customers"]) + 1
            email = name.lower().replace(" ", ".") + f"{cid}@example.com"
            rows["customers"].append((cid, shop, name, email, rng.choice(CITIES),
                                      _day(rng, date(2022, 1, 1), date(2025, 6, 30)).isoformat(),
                                      _pick(rng, [("standard", 70), ("silver", 20), ("gold", 10)])))
            cust_of.setdefault(shop, []).append(cid)
        seen = set()
        while len(prod_of.get(shop, [])) < n_p:
            cat = rng.randrange(len(CATEGORIES))
            name = f"{rng.choice(ADJ)} {rng.choice(NOUN[CATEGORIES[cat]])}"
            if name in seen:
                continue
            seen.add(name)
            pid = len(rows["products"]) + 1
            price = round(rng.randrange(4, 200) + 0.99, 2)
            rows["products"].append((pid, shop, cat + 1, name, price, rng.randrange(0, 251)))
            prod_of.setdefault(shop, []).append((pid, price))
        for _ in range(n_a):
            aid = len(rows["agents"]) + 1
            rows["agents"].append((aid, shop, f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                                   rng.choice(TEAMS)))
            agent_of.setdefault(shop, []).append(aid)
        for _ in range(n_o):
            oid = len(rows["orders"]) + 1
            cid = rng.choice(cust_of[shop])
            day = _day(rng, date(2024, 1, 1), date(2025, 12, 31))
            status = _pick(rng, STATUSES)
            total = 0.0
            for pid, price in rng.sample(prod_of[shop], rng.randint(1, 4)):
                qty = rng.randint(1, 3)
                rows["order_items"].append((len(rows["order_items"]) + 1, oid, pid, qty, price))
                total += qty * price
            rows["orders"].append((oid, shop, cid, day.isoformat(), status, round(total, 2)))
            orders_of.setdefault(cid, []).append(oid)
            if status not in ("pending", "cancelled"):
                paid = day + timedelta(days=rng.randint(0, 2))
                rows["payments"].append((len(rows["payments"]) + 1, oid, rng.choice(METHODS),
                                         round(total, 2), paid.isoformat()))
        for _ in range(n_t):
            cid = rng.choice(cust_of[shop])
            opened = _day(rng, date(2024, 1, 1), date(2025, 12, 31))
            status = _pick(rng, [("open", 20), ("pending", 15), ("closed", 65)])
            closed = (opened + timedelta(days=rng.randint(0, 12))).isoformat() \
                if status == "closed" else None
            oid = rng.choice(orders_of[cid]) if cid in orders_of and rng.random() < 0.8 else None
            rows["tickets"].append((len(rows["tickets"]) + 1, shop, cid, rng.choice(agent_of[shop]),
                                    oid, opened.isoformat(), closed, _pick(rng, PRIORITIES),
                                    status, rng.choice(SUBJECTS)))
    return rows


def write_database(rows, path: Path | None = None, only_shop: int | None = None) -> sqlite3.Connection:
    """The database at `path` (None: in memory), optionally with one shop's rows only."""
    if path is not None and path.exists():
        path.unlink()
    conn = sqlite3.connect(":memory:" if path is None else str(path))
    conn.executescript(ddl())
    keep_orders = None
    if only_shop is not None:
        keep_orders = {r[0] for r in rows["orders"] if r[1] == only_shop}
    for table, cols in TABLES.items():
        data = rows[table]
        if only_shop is not None:
            if "shop_id" in cols:
                i = list(cols).index("shop_id")
                data = [r for r in data if r[i] == only_shop]
            elif "order_id" in cols and table != "orders":
                i = list(cols).index("order_id")
                data = [r for r in data if r[i] in keep_orders]
        conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(cols))})", data)
    conn.commit()
    return conn


def _jsonl(rows) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def outputs() -> tuple[dict[str, str], dict]:
    """(committed text files by relative path, table rows)."""
    rng = random.Random(SEED)
    rows = build_rows(rng)
    conn = write_database(rows)
    splits = make_pairs(conn, random.Random(SEED + 1))
    files = {f"{name}.jsonl": _jsonl(split) for name, split in splits.items()}
    files["safety.jsonl"] = _jsonl(probes(conn))
    files |= {f"docs/{t}.md": text for t, text in docs(conn).items()}
    return files, rows


def build(folder: Path = HERE) -> None:
    files, rows = outputs()
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    build_databases(rows, folder)


def build_databases(rows=None, folder: Path = HERE) -> None:
    """Write shop.sqlite and shop_tenant.sqlite (via temporary names: never half written)."""
    rows = rows or build_rows(random.Random(SEED))
    for name, shop in (("shop.sqlite", None), ("shop_tenant.sqlite", 1)):
        tmp = folder / f".{name}.tmp"
        write_database(rows, tmp, shop).close()
        tmp.replace(folder / name)


def check(folder: Path = HERE) -> list[str]:
    """Relative paths of committed files that differ from a fresh build ([] = all equal)."""
    files, _ = outputs()
    return [rel for rel, text in files.items()
            if not (folder / rel).is_file() or (folder / rel).read_text(encoding="utf-8") != text]


if __name__ == "__main__":
    if "--check" in sys.argv:
        bad = check()
        print("up to date" if not bad else "differs from a fresh build: " + ", ".join(bad))
        sys.exit(1 if bad else 0)
    if "--databases" in sys.argv:  # what a run does when the databases are missing
        build_databases()
    else:
        build()
