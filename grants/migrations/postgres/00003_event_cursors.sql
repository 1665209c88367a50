-- Each reader of the audit trail that must not miss an event (a webhook)
-- keeps the Seq of the last event it handled here. Keep this file in step
-- with ../sqlite/00003_event_cursors.sql: they are the same.

-- +goose Up
CREATE TABLE event_cursors (
    name TEXT   PRIMARY KEY,
    seq  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE event_cursors;
