"""Question templates with gold SQL, easy to hard (filters, joins, aggregates, grouping, dates).

Each template has three wordings: the first two appear in train, the third ("unseen" phrasing)
only in dev and test, so the `phrasing` slice shows what paraphrase does to each strategy.
`make_pairs(conn, rng)` fills the slots with Harbor Goods' own values, keeps a gold only when it
executes and returns a non-empty, non-zero result, never repeats a (template, values) pair, and
deals the pairs to test, dev and train (in that order) round-robin over the templates.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

# dealt test first, then dev, then train: a template with few distinct values is still asked in
# test and dev, and train gets what is left
SIZES = {"test": 128, "dev": 64, "train": 320}


@dataclass(frozen=True)
class Template:
    name: str
    difficulty: str          # easy | medium | hard
    wordings: tuple[str, str, str]
    sql: str
    slots: Callable          # (rng, values) -> dict of slot values


def _v(conn, sql):
    return [r[0] for r in conn.execute(sql)]


def shop_values(conn) -> dict[str, list]:
    """The slot values: Harbor Goods' (shop 1) customers, products, cities, agents..."""
    return {
        "customer": _v(conn, "SELECT name FROM customers WHERE shop_id = 1 ORDER BY customer_id"),
        "city": _v(conn, "SELECT DISTINCT city FROM customers WHERE shop_id = 1 ORDER BY city"),
        "product": _v(conn, "SELECT name FROM products WHERE shop_id = 1 ORDER BY product_id"),
        "category": _v(conn, "SELECT name FROM categories ORDER BY category_id"),
        "agent": _v(conn, "SELECT name FROM agents WHERE shop_id = 1 ORDER BY agent_id"),
        "status": ["pending", "shipped", "delivered", "cancelled", "refunded"],
        "tier": ["standard", "silver", "gold"], "team": ["billing", "shipping", "returns"],
        "method": ["card", "paypal", "bank_transfer", "gift_card"],
        "priority": ["low", "normal", "high", "urgent"], "tstatus": ["open", "pending", "closed"],
        "subject": _v(conn, "SELECT DISTINCT subject FROM tickets ORDER BY subject"),
        "month": [f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)],
        "year": ["2024", "2025"], "signup_year": ["2022", "2023", "2024", "2025"],
    }


def _c(key):
    return lambda rng, v: {key: rng.choice(v[key])}


def _month_name(m: str) -> str:
    names = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
    return f"{names[int(m[5:]) - 1]} {m[:4]}"


def _month(rng, v, **more):
    m = rng.choice(v["month"])
    return {"month": m, "month_name": _month_name(m)} | more


T = Template
TEMPLATES = [
    T("customers_in_city_tier", "easy",
      ("Which {tier} tier customers live in {city}?",
       "List the names of our {tier} customers from {city}.",
       "Give me everyone on the {tier} tier based in {city}."),
      "SELECT name FROM customers WHERE shop_id = 1 AND city = '{city}' AND tier = '{tier}'",
      lambda rng, v: {"city": rng.choice(v["city"]), "tier": rng.choice(v["tier"])}),
    T("customer_email", "easy",
      ("What is the email address of {customer}?", "Find the e-mail of customer {customer}.",
       "How can I reach {customer} by mail? I need their address on file."),
      "SELECT email FROM customers WHERE shop_id = 1 AND name = '{customer}'", _c("customer")),
    T("products_above_price", "easy",
      ("Which products cost more than {price} euros?", "List products priced above {price} EUR.",
       "Show me everything in the catalogue that is dearer than {price} euros."),
      "SELECT name FROM products WHERE shop_id = 1 AND price > {price}",
      lambda rng, v: {"price": rng.randrange(20, 190, 5)}),
    T("low_stock", "easy",
      ("Which products have fewer than {n} units in stock?",
       "List products with stock below {n}.", "What is running low? Items under {n} units left."),
      "SELECT name FROM products WHERE shop_id = 1 AND stock < {n}",
      lambda rng, v: {"n": rng.randrange(5, 60)}),
    T("count_orders_status_month", "easy",
      ("How many {status} orders were placed in {month_name}?",
       "Count the orders with status {status} from {month_name}.",
       "What number of {month_name} orders ended up {status}?"),
      "SELECT COUNT(*) FROM orders WHERE shop_id = 1 AND status = '{status}' "
      "AND strftime('%Y-%m', order_date) = '{month}'",
      lambda rng, v: _month(rng, v, status=rng.choice(v["status"]))),
    T("count_customers_tier_city", "easy",
      ("How many {tier} tier customers are in {city}?",
       "Count customers in {city} with the {tier} tier.",
       "In {city}, what is the head count of {tier} members?"),
      "SELECT COUNT(*) FROM customers WHERE shop_id = 1 AND tier = '{tier}' AND city = '{city}'",
      lambda rng, v: {"tier": rng.choice(v["tier"]), "city": rng.choice(v["city"])}),
    T("tickets_priority_status", "easy",
      ("Which tickets are {tstatus} with {priority} priority?",
       "List the ids of {priority} priority tickets that are {tstatus}.",
       "Pull up ticket numbers: priority {priority}, currently {tstatus}."),
      "SELECT ticket_id FROM tickets WHERE shop_id = 1 AND priority = '{priority}' "
      "AND status = '{tstatus}'",
      lambda rng, v: {"priority": rng.choice(v["priority"]), "tstatus": rng.choice(v["tstatus"])}),
    T("orders_on_day", "medium",
      ("Which orders were placed on {day}?", "List the order ids from {day}.",
       "What came in on {day}? Order numbers please."),
      "SELECT order_id FROM orders WHERE shop_id = 1 AND order_date = '{day}'",
      lambda rng, v: {"day": f"{rng.choice(v['year'])}-{rng.randint(1, 12):02d}-"
                             f"{rng.randint(1, 28):02d}"}),
    T("revenue_month", "medium",
      ("What was the total value of delivered orders in {month_name}?",
       "Sum the totals of orders delivered in {month_name}.",
       "How much did delivered orders bring in during {month_name}?"),
      "SELECT SUM(total) FROM orders WHERE shop_id = 1 AND status = 'delivered' "
      "AND strftime('%Y-%m', order_date) = '{month}'", _month),
    T("signups_city_year", "medium",
      ("How many customers from {city} signed up in {signup_year}?",
       "Count the {city} customer accounts created in {signup_year}.",
       "What was our number of new sign-ups in {city} over {signup_year}?"),
      "SELECT COUNT(*) FROM customers WHERE shop_id = 1 AND city = '{city}' "
      "AND strftime('%Y', signup_date) = '{signup_year}'",
      lambda rng, v: {"city": rng.choice(v["city"]), "signup_year": rng.choice(v["signup_year"])}),
    T("avg_price_category_stock", "medium",
      ("What is the average price of {category} products with more than {n} units in stock?",
       "Average price of {category} products whose stock is above {n}?",
       "On average, how much does a {category} item cost among those with over {n} in stock?"),
      "SELECT AVG(p.price) FROM products p JOIN categories c ON c.category_id = p.category_id "
      "WHERE p.shop_id = 1 AND c.name = '{category}' AND p.stock > {n}",
      lambda rng, v: {"category": rng.choice(v["category"]), "n": rng.randrange(0, 200, 20)}),
    T("products_in_category_price", "medium",
      ("Which products in the {category} category cost less than {price} euros?",
       "List the {category} products priced under {price} EUR.",
       "What do we sell under {category} for below {price} euros?"),
      "SELECT p.name FROM products p JOIN categories c ON c.category_id = p.category_id "
      "WHERE p.shop_id = 1 AND c.name = '{category}' AND p.price < {price}",
      lambda rng, v: {"category": rng.choice(v["category"]), "price": rng.randrange(30, 200, 10)}),
    T("priciest_in_category", "medium",
      ("What are the {n} most expensive {category} products?",
       "List the top {n} {category} products by price.",
       "Name our {n} priciest {category} items, most expensive first."),
      "SELECT p.name FROM products p JOIN categories c ON c.category_id = p.category_id "
      "WHERE p.shop_id = 1 AND c.name = '{category}' ORDER BY p.price DESC LIMIT {n}",
      lambda rng, v: {"n": rng.randint(2, 5), "category": rng.choice(v["category"])}),
    T("orders_per_status_month", "medium",
      ("How many orders are there per status in {month_name}?",
       "Count {month_name} orders grouped by status.",
       "Break down the {month_name} orders by their status, with counts."),
      "SELECT status, COUNT(*) FROM orders WHERE shop_id = 1 "
      "AND strftime('%Y-%m', order_date) = '{month}' GROUP BY status", _month),
    T("tickets_per_priority_subject_year", "medium",
      ("How many '{subject}' tickets were opened per priority in {year}?",
       "Count {year} tickets about '{subject}' by priority.",
       "For the subject '{subject}', give the {year} ticket count at each priority level."),
      "SELECT priority, COUNT(*) FROM tickets WHERE shop_id = 1 AND subject = '{subject}' "
      "AND strftime('%Y', opened_at) = '{year}' GROUP BY priority",
      lambda rng, v: {"subject": rng.choice(v["subject"]), "year": rng.choice(v["year"])}),
    T("payments_method_month", "medium",
      ("How many payments by {method} were made in {month_name}?",
       "Count the {method} payments in {month_name}.",
       "In {month_name}, how often did people pay with {method}?"),
      "SELECT COUNT(*) FROM payments pay JOIN orders o ON o.order_id = pay.order_id "
      "WHERE o.shop_id = 1 AND pay.method = '{method}' "
      "AND strftime('%Y-%m', pay.paid_at) = '{month}'",
      lambda rng, v: _month(rng, v, method=rng.choice(v["method"]))),
    T("orders_of_customer", "hard",
      ("Which orders did {customer} place?", "List the order ids of customer {customer}.",
       "Show me every order number {customer} has ever made."),
      "SELECT o.order_id FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
      "WHERE o.shop_id = 1 AND c.name = '{customer}'", _c("customer")),
    T("spent_by_customer", "hard",
      ("How much has {customer} spent on delivered orders?",
       "Total value of delivered orders by {customer}?",
       "What is the delivered-order spend of {customer}, all time?"),
      "SELECT SUM(o.total) FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
      "WHERE o.shop_id = 1 AND c.name = '{customer}' AND o.status = 'delivered'", _c("customer")),
    T("tickets_of_agent_status", "hard",
      ("How many {tstatus} tickets does agent {agent} have?",
       "Count the {tstatus} tickets assigned to {agent}.",
       "What is {agent}'s load of {tstatus} tickets?"),
      "SELECT COUNT(*) FROM tickets t JOIN agents a ON a.agent_id = t.agent_id "
      "WHERE t.shop_id = 1 AND a.name = '{agent}' AND t.status = '{tstatus}'",
      lambda rng, v: {"agent": rng.choice(v["agent"]), "tstatus": rng.choice(v["tstatus"])}),
    T("top_customers_orders_year", "hard",
      ("Who are the {n} customers with the most orders in {year}?",
       "List the top {n} customers by number of orders in {year}.",
       "Rank our best {n} customers of {year} by how many orders they placed."),
      "SELECT c.name, COUNT(*) AS n_orders FROM orders o JOIN customers c "
      "ON c.customer_id = o.customer_id WHERE o.shop_id = 1 AND strftime('%Y', o.order_date) = "
      "'{year}' GROUP BY c.customer_id ORDER BY n_orders DESC, c.name LIMIT {n}",
      lambda rng, v: {"n": rng.randint(3, 10), "year": rng.choice(v["year"])}),
    T("customers_many_orders_city", "hard",
      ("Which customers in {city} placed more than {n} orders?",
       "List {city} customers with over {n} orders.",
       "Among our {city} clients, who has ordered more than {n} times?"),
      "SELECT c.name FROM customers c JOIN orders o ON o.customer_id = c.customer_id "
      "WHERE c.shop_id = 1 AND c.city = '{city}' GROUP BY c.customer_id HAVING COUNT(*) > {n}",
      lambda rng, v: {"city": rng.choice(v["city"]), "n": rng.randint(2, 6)}),
    T("revenue_per_category_month", "hard",
      ("What was the revenue per category in {month_name}?",
       "Sum quantity times unit price of {month_name} order lines, by category.",
       "Break {month_name} sales down by product category, in euros."),
      "SELECT cat.name, SUM(oi.quantity * oi.unit_price) FROM order_items oi "
      "JOIN orders o ON o.order_id = oi.order_id JOIN products p ON p.product_id = oi.product_id "
      "JOIN categories cat ON cat.category_id = p.category_id WHERE o.shop_id = 1 "
      "AND strftime('%Y-%m', o.order_date) = '{month}' GROUP BY cat.name", _month),
    T("units_sold_product", "hard",
      ("How many units of {product} have been sold?", "Total quantity ordered of {product}?",
       "What is the overall number of {product} pieces people ordered?"),
      "SELECT SUM(oi.quantity) FROM order_items oi JOIN products p "
      "ON p.product_id = oi.product_id WHERE p.shop_id = 1 AND p.name = '{product}'",
      _c("product")),
    T("resolution_days_team_priority", "hard",
      ("What is the average number of days to close a {priority} priority ticket for the "
       "{team} team?",
       "Average days from opening to closing for {priority} tickets handled by the {team} team?",
       "How long, in days on average, does {team} take to resolve a {priority} ticket?"),
      "SELECT AVG(julianday(t.closed_at) - julianday(t.opened_at)) FROM tickets t "
      "JOIN agents a ON a.agent_id = t.agent_id WHERE t.shop_id = 1 AND a.team = '{team}' "
      "AND t.priority = '{priority}' AND t.closed_at IS NOT NULL",
      lambda rng, v: {"team": rng.choice(v["team"]), "priority": rng.choice(v["priority"])}),
    T("customers_city_ordered_month", "hard",
      ("Which customers from {city} placed an order in {month_name}?",
       "List the distinct {city} customers who ordered in {month_name}.",
       "Who in {city} bought something from us during {month_name}?"),
      "SELECT DISTINCT c.name FROM customers c JOIN orders o ON o.customer_id = c.customer_id "
      "WHERE c.shop_id = 1 AND c.city = '{city}' AND strftime('%Y-%m', o.order_date) = '{month}'",
      lambda rng, v: _month(rng, v, city=rng.choice(v["city"]))),
    T("never_ordered_category", "hard",
      ("Which {category} products have never been ordered?",
       "List {category} products with no order lines.",
       "In {category}, what has not sold even once?"),
      "SELECT p.name FROM products p JOIN categories c ON c.category_id = p.category_id "
      "WHERE p.shop_id = 1 AND c.name = '{category}' "
      "AND p.product_id NOT IN (SELECT product_id FROM order_items)", _c("category")),
]


def _has_rows(conn, sql: str) -> bool:
    rows = conn.execute(sql).fetchall()
    return bool(rows) and any(v not in (None, 0) for r in rows for v in r)


def make_pairs(conn, rng) -> dict[str, list[dict]]:
    """train / dev / test rows: {id, question, sql, template, difficulty, phrasing, ordered}."""
    values = shop_values(conn)
    seen: set[tuple] = set()
    out = {}
    for split, size in SIZES.items():
        rows, k, misses = [], 0, 0
        while len(rows) < size:
            t = TEMPLATES[k % len(TEMPLATES)]
            k += 1
            slots = t.slots(rng, values)
            key = (t.name, tuple(sorted(slots.items())))
            sql = t.sql.format(**slots)
            if key in seen or not _has_rows(conn, sql):
                misses += 1
                if misses > 20000:
                    raise RuntimeError(f"cannot fill {split}: too few distinct values")
                continue
            seen.add(key)
            w = rng.randrange(2) if split == "train" else rng.randrange(3)
            rows.append({"id": f"{split}-{len(rows):04d}",
                         "question": t.wordings[w].format(**slots), "sql": sql,
                         "template": t.name, "difficulty": t.difficulty,
                         "phrasing": "unseen" if w == 2 else "seen",
                         "ordered": " ORDER BY " in sql})
        out[split] = rows
    return out
