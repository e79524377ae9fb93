-- Semicolon-separated exports dropped into a folder by a data logger: quoted fields, backslash
-- escapes, Windows line ends and a header line to skip. Each matching file is loaded once.
CREATE TABLE readings (
    sensor TEXT NOT NULL,
    ts TEXT NOT NULL,
    reading REAL,
    source_file TEXT
);

CREATE PIPELINE sensor_files AS
LOAD DATA FS '/var/lib/sluice/incoming/sensors-*.csv'
BATCH_INTERVAL 0
INTO TABLE readings
FIELDS TERMINATED BY ';' OPTIONALLY ENCLOSED BY '"' ESCAPED BY '\\'
LINES TERMINATED BY '\r\n'
IGNORE 1 LINES
(sensor, ts, @reading)
SET reading = nullif(@reading, 'NaN'),
    source_file = pipeline_source_file();
