"""Report and AI Assist queries as people write them: each compiles, passes the engine's own
parse check and runs. The compiler's checks grow stricter over time; this keeps them from
refusing ordinary SQL (``string_agg(x, ',' ORDER BY y)`` once was, by a generator rewriting the
tree it was writing)."""

from collections.abc import Iterator

import duckdb
import pytest

from governance.rls.compiler import compile_query
from governance.rls.context import PolicyRule, Reader
from tests.governance.rls.engine import engine_checked

READER = Reader(
    "acme", "u1", "a@x.test", {"region": ("eu",)},
    policies=(PolicyRule("by_region", "orders", "region = {{ user.attr.region }}"),),
)  # fmt: skip
OWNER = Reader("acme", "u0", "boss@x.test", unrestricted=True)
COLUMNS = {
    "orders": ["id", "region", "amount", "created", "note", "tags", "payload", "customer_id"],
    "customers": ["id", "name", "email", "region"],
}
QUERIES = [
    "SELECT date_trunc('month', created) AS m, sum(amount) FROM orders GROUP BY 1 ORDER BY 1",
    "SELECT EXTRACT(year FROM created) AS y, count(*) FROM orders GROUP BY ALL",
    "SELECT * FROM orders WHERE created > now() - INTERVAL 30 DAY",
    "SELECT * FROM orders WHERE created > current_date - INTERVAL '7 days'",
    "SELECT strftime(created, '%Y-%m') AS ym FROM orders",
    "SELECT make_date(2024, 1, 1), date_diff('day', created, now()) FROM orders",
    "SELECT * FROM customers WHERE name ILIKE '%acme%' OR regexp_matches(email, '@x\\.com$')",
    "SELECT region, string_agg(note, ', ' ORDER BY id) FROM orders GROUP BY region",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) FROM orders",
    "SELECT count(*) FILTER (WHERE amount > 10) FROM orders",
    "SELECT id, sum(amount) OVER (ORDER BY created ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT"
    " ROW) FROM orders",
    "SELECT id, avg(amount) OVER (PARTITION BY region ORDER BY created RANGE BETWEEN INTERVAL 7"
    " DAY PRECEDING AND CURRENT ROW) FROM orders",
    "SELECT region, note, sum(amount) FROM orders GROUP BY GROUPING SETS ((region), (note), ())",
    "SELECT region, note, sum(amount) FROM orders GROUP BY ROLLUP (region, note)",
    "SELECT region, note, sum(amount) FROM orders GROUP BY CUBE (region, note)",
    "SELECT * FROM orders QUALIFY row_number() OVER (PARTITION BY region ORDER BY amount DESC) = 1",
    "SELECT * FROM orders PIVOT (sum(amount) FOR region IN ('eu', 'us'))",
    "SELECT * FROM orders UNPIVOT (val FOR col IN (amount, id))",
    "SELECT [x * 2 FOR x IN tags] FROM orders",
    "SELECT payload->>'$.a' AS a, payload->'b' FROM orders",
    "SELECT CASE WHEN amount > 100 THEN 'big' ELSE 'small' END, coalesce(note, '-'),"
    " try_cast(note AS INT) FROM orders",
    "SELECT epoch_ms(created), to_timestamp(1700000000) FROM orders",
    "SELECT o.id, c.name FROM orders o LEFT JOIN customers c ON c.id = o.customer_id",
    "SELECT o.id FROM orders o ASOF JOIN customers c ON o.customer_id = c.id AND o.id >= c.id",
    "SELECT * FROM orders o SEMI JOIN customers c ON o.customer_id = c.id",
    "SELECT * FROM orders o ANTI JOIN customers c ON o.customer_id = c.id",
    "SELECT * FROM orders POSITIONAL JOIN customers",
    "SELECT * EXCLUDE (note) FROM orders",
    "SELECT * REPLACE (amount * 2 AS amount) FROM orders",
    "SELECT COLUMNS('a.*') FROM orders",
    "FROM orders SELECT id",
    "FROM orders",
    "SELECT * FROM orders USING SAMPLE 10%",
    "SELECT region, count(*) FROM orders GROUP BY region HAVING count(*) > 1 ORDER BY 2 DESC"
    " LIMIT 5 OFFSET 1",
    "SELECT id FROM orders UNION BY NAME SELECT id FROM customers",
    "SELECT id FROM orders INTERSECT SELECT id FROM customers EXCEPT SELECT 3",
    "WITH t AS MATERIALIZED (SELECT * FROM orders) SELECT * FROM t",
    "SELECT {'a': id, 'b': note} AS s, [1,2,3][2], list_sum([1,2]), map([1],[2]) FROM orders",
    "SELECT list_transform(tags, x -> x + 1), list_filter(tags, x -> x > 1) FROM orders",
    "SELECT amount::DECIMAL(10,2), id::VARCHAR, created::DATE FROM orders",
    "SELECT round(avg(amount), 2), stddev(amount), median(amount), mode(region),"
    " approx_count_distinct(id) FROM orders",
    "SELECT if(amount > 1, 'a', 'b'), iif(amount > 1, 1, 0), nullif(region, '') FROM orders",
    "SELECT date_add(created, INTERVAL 1 MONTH), date_part('dow', created), dayname(created),"
    " last_day(created) FROM orders",
    "SELECT greatest(1, amount), least(2, amount), abs(amount), ceil(amount), floor(amount),"
    " amount % 3 FROM orders",
    "SELECT upper(note), lower(note), length(note), substr(note, 1, 2), concat(note, '!'), note"
    " || '?' FROM orders",
    "SELECT left(note, 2), right(note, 2), lpad(note, 5, '*'), trim(note), replace(note, 'a',"
    " 'b'), split_part(note, ',', 1) FROM orders",
    "SELECT id, lag(amount) OVER w, lead(amount) OVER w FROM orders WINDOW w AS (ORDER BY id)",
    "SELECT count(DISTINCT region), bool_and(amount > 0), arg_max(id, amount) FROM orders",
    "SELECT * FROM orders WHERE id IN (SELECT customer_id FROM customers) AND EXISTS (SELECT 1"
    " FROM customers)",
    "SELECT * FROM orders, LATERAL (SELECT * FROM customers WHERE customers.id ="
    " orders.customer_id) c",
    "SELECT unnest(tags) FROM orders",
    "SELECT * FROM orders, unnest(tags) AS t(tag)",
    "SELECT id FROM orders ORDER BY amount DESC NULLS LAST",
    "SELECT x FROM (VALUES (1), (2)) AS v(x)",
    "SELECT generate_series(1, 3), range(3)",
    "SELECT date_trunc('week', created)::DATE AS wk, count(*) FROM orders GROUP BY 1",
    "SELECT cast(created AS TIMESTAMP WITH TIME ZONE) AT TIME ZONE 'UTC' FROM orders",
    "SELECT regexp_extract(note, '(\\d+)', 1), regexp_replace(note, '\\s+', ' ', 'g') FROM orders",
    "SELECT json_extract_string(payload, '$.a'), json_extract(payload, '$.b') FROM orders",
    "SELECT year(created), month(created), day(created), hour(created), quarter(created),"
    " week(created) FROM orders",
    "SELECT amount / NULLIF(count(*) OVER (), 0) FROM orders",
    "SELECT region, count(*) AS n FROM orders GROUP BY region ORDER BY n DESC",
    "SELECT DISTINCT ON (region) region, id FROM orders ORDER BY region, id",
    "SELECT md5(note), sha256(note), hash(note) FROM orders",
    "SELECT strptime('2024-01-01', '%Y-%m-%d'), try_strptime(note, '%Y') FROM orders",
    "SELECT list(id ORDER BY amount), array_agg(DISTINCT region) FROM orders",
    "SELECT id FROM orders WHERE note SIMILAR TO 'a.*' OR note GLOB 'a*' OR note LIKE 'a%'"
    " ESCAPE '!'",
    "SELECT id BETWEEN 1 AND 2, id IS DISTINCT FROM 3, id IS NOT NULL FROM orders",
    "SELECT 1 + 1, 2 * 3, 7 // 2, 2 ** 3, 5 / 2",
    "SELECT (SELECT max(amount) FROM orders) AS mx, (SELECT count(*) FROM customers)",
]


@pytest.fixture(scope="module")
def connection() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as connection:
        connection.execute(
            "CREATE SCHEMA acme; USE acme; CREATE TABLE orders (id INT, region VARCHAR,"
            " amount DOUBLE, created TIMESTAMP, note VARCHAR, tags INT[], payload JSON,"
            " customer_id INT); CREATE TABLE customers (id INT, name VARCHAR, email VARCHAR,"
            " region VARCHAR);"
            "INSERT INTO orders VALUES (1, 'eu', 5, '2024-01-02', 'a1', [1, 2], '{\"a\": 1}', 1),"
            " (2, 'us', 50, '2024-02-03', 'b2', [3], '{\"b\": 2}', 2);"
            "INSERT INTO customers VALUES (1, 'Acme', 'a@x.com', 'eu')"
        )
        yield connection


@pytest.mark.parametrize("sql", QUERIES)
@pytest.mark.parametrize("reader", [READER, OWNER], ids=["restricted", "owner"])
def test_an_ordinary_query_compiles_and_runs(connection, sql: str, reader: Reader):
    compiled = compile_query(sql, "duckdb", reader, COLUMNS)
    connection.execute(engine_checked(compiled, reader, COLUMNS)).fetchall()
