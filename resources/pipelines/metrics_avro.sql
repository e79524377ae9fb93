-- Avro-encoded host metrics. SKIP PARSER ERRORS keeps the pipeline running past malformed
-- messages: each one is recorded in information_schema.PIPELINES_ERRORS with its partition,
-- offset and raw bytes instead of failing the batch.
CREATE TABLE metrics (
    host TEXT NOT NULL,
    cpu REAL,
    mem_used INTEGER,
    at_ms INTEGER NOT NULL,
    SHARD KEY (host)
);

CREATE PIPELINE host_metrics AS
LOAD DATA KAFKA '127.0.0.1:9092/metrics'
BATCH_INTERVAL 2000
SKIP PARSER ERRORS
INTO TABLE metrics
FORMAT AVRO
SCHEMA '{"type": "record", "name": "Metric", "fields": [{"name": "host", "type": "string"}, {"name": "cpu", "type": "double"}, {"name": "memory", "type": {"type": "record", "name": "Memory", "fields": [{"name": "used", "type": "long"}]}}, {"name": "at", "type": "long"}]}'
(
    host <- %::host,
    cpu <- %::cpu,
    mem_used <- %::memory::used DEFAULT 0,
    at_ms <- %::at
);
