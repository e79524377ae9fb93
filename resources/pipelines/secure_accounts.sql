-- A pipeline from a SASL-protected cluster. CONFIG holds librdkafka properties; CREDENTIALS holds
-- the secrets and is never shown (SHOW CREATE PIPELINE prints it as '<redacted>').
-- Messages are JSON objects; the mapping picks nested fields, with defaults for missing ones.
CREATE TABLE accounts (
    account_id INTEGER PRIMARY KEY,
    owner TEXT,
    country TEXT,
    balance REAL
);

CREATE PIPELINE accounts AS
LOAD DATA KAFKA 'kafka-1.internal:9093,kafka-2.internal:9093/accounts'
CONFIG '{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-256", "client.id": "sluice"}'
CREDENTIALS '{"sasl.username": "sluice", "sasl.password": "change-me"}'
MAX_RETRIES_PER_BATCH_PARTITION 8
REPLACE
INTO TABLE accounts
FORMAT JSON (
    account_id <- id,
    owner <- owner::name,
    country <- owner::address::country DEFAULT 'unknown',
    balance <- balance DEFAULT 0
);
