-- Click events, loaded through @variables: SET computes the stored columns (with Kafka metadata
-- from get_kafka_pipeline_prop) and WHERE drops internal traffic before it reaches the table.
CREATE TABLE clicks (
    user_id INTEGER NOT NULL,
    url TEXT NOT NULL,
    kafka_partition INTEGER,
    kafka_offset INTEGER,
    batch_id INTEGER,
    SHARD KEY (user_id)
);

CREATE PIPELINE clicks AS
LOAD DATA KAFKA '127.0.0.1:9092/clicks'
MAX_PARTITIONS_PER_BATCH 4
BATCH_INTERVAL 250
INTO TABLE clicks
FORMAT CSV
(@uid, @url, @agent)
SET user_id = CAST(@uid AS INTEGER),
    url = lower(trim(@url, ' /')),
    kafka_partition = get_kafka_pipeline_prop('prop_partition'),
    kafka_offset = get_kafka_pipeline_prop('prop_offset'),
    batch_id = pipeline_batch_id()
WHERE @uid <> '' AND coalesce(@agent, '') NOT LIKE '%bot%' AND substr(@url, 1, 9) <> 'internal:';
