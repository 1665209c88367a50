-- Groups of users, the ticket and policy notes of requests, the rule that
-- approved a request or grant, and the conditions of grants: how many
-- sessions a grant allows and has used, and its idle timeout (nanoseconds)
-- with the last traffic seen (unix nanoseconds, 0 for none). Groups and
-- notes are JSON arrays. Keep this file in step with
-- ../sqlite/00002_policy.sql: they are the same.

-- +goose Up
ALTER TABLE users ADD COLUMN group_names TEXT NOT NULL DEFAULT '[]';

ALTER TABLE requests ADD COLUMN ticket TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN auto_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN notes TEXT NOT NULL DEFAULT '[]';

ALTER TABLE grants ADD COLUMN auto_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN max_sessions BIGINT NOT NULL DEFAULT 0;
ALTER TABLE grants ADD COLUMN sessions BIGINT NOT NULL DEFAULT 0;
ALTER TABLE grants ADD COLUMN idle_timeout BIGINT NOT NULL DEFAULT 0;
ALTER TABLE grants ADD COLUMN last_active BIGINT NOT NULL DEFAULT 0;

CREATE INDEX grants_state_idle_timeout ON grants (state, idle_timeout);

-- +goose Down
DROP INDEX grants_state_idle_timeout;

ALTER TABLE grants DROP COLUMN last_active;
ALTER TABLE grants DROP COLUMN idle_timeout;
ALTER TABLE grants DROP COLUMN sessions;
ALTER TABLE grants DROP COLUMN max_sessions;
ALTER TABLE grants DROP COLUMN auto_rule;

ALTER TABLE requests DROP COLUMN notes;
ALTER TABLE requests DROP COLUMN auto_rule;
ALTER TABLE requests DROP COLUMN ticket;

ALTER TABLE users DROP COLUMN group_names;
