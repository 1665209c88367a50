-- identity_since: when the user's current identity certificate was issued,
-- to the second (unix nanoseconds, 0 before enrolment). Every enrolment,
-- renewal and new enrolment token moves it on, and the admin API refuses
-- an identity certificate issued before it, so a stolen one dies when its
-- owner enrols again. Users enrolled before this column existed keep 0,
-- which retires nothing, until they next renew. Keep this file in step
-- with ../postgres/00005_identity.sql: they are the same.

-- +goose Up
ALTER TABLE users ADD COLUMN identity_since BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN identity_since;
