-- The demo pipeline: comma-separated payments from the local Kafka topic `payments`.
-- Each message is one line: id,user,amount,ts
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    amount REAL NOT NULL,
    ts TEXT NOT NULL,
    SHARD KEY (id)
);

CREATE PIPELINE payments AS
LOAD DATA KAFKA '127.0.0.1:9092/payments'
BATCH_INTERVAL 500
INTO TABLE payments
FIELDS TERMINATED BY ','
(id, user, amount, ts);
