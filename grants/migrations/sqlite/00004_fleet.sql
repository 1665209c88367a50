-- leases: which process does a job that only one may do, such as
-- delivering a webhook, until when (unix nanoseconds). One process uses an
-- SQLite file, so it holds every lease it asks for; the table keeps the
-- Store the same on both databases. Keep it in step with
-- ../postgres/00004_fleet.sql, which also announces grant changes to the
-- other replicas.

-- +goose Up
CREATE TABLE leases (
    name       TEXT   PRIMARY KEY,
    holder     TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE leases;
