-- A version per hour of user_hours, bumped by every transaction that changes
-- the hour's rows (on the transaction's shard, as run_hours, so replicas
-- writing the current hour do not queue on one row; readers sum the shards).
-- Each replica keeps the hours and window sums its windowed reads use in
-- memory (internal/store/hourindex) and rereads, in the snapshot of the read,
-- only the hours whose version changed. Every hour that has rows gets a
-- version here, so the index knows every hour of a window.
CREATE TABLE user_hour_versions (
    hour    bigint NOT NULL,
    shard   int    NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (hour, shard)
);
INSERT INTO user_hour_versions (hour, shard, version) SELECT DISTINCT hour, 0, 1 FROM user_hours;
