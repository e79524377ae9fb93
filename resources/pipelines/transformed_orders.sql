-- Orders arrive as JSON lines from an upstream service; a transform flattens each message to a
-- CSV row before it is loaded. IGNORE turns rows that break a constraint into warnings.
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY,
    customer TEXT,
    total REAL,
    currency TEXT,
    SHARD KEY (order_id)
);

CREATE PIPELINE orders_flat AS
LOAD DATA KAFKA '127.0.0.1:9092/orders'
BATCH_INTERVAL 1000
MAX_OFFSETS_PER_BATCH_PARTITION 20000
WITH TRANSFORM ('transforms/orders_to_csv.py', '', '--currency EUR --drop-test-orders')
IGNORE
INTO TABLE orders
FORMAT CSV
(order_id, customer, total, currency);
