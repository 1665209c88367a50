-- Times are unix nanoseconds in UTC, 0 for "not yet". Roles and decisions
-- are JSON arrays. Keep this file in step with ../postgres/00001_schema.sql:
-- only the byte column type differs.

-- +goose Up
CREATE TABLE users (
    name        TEXT    PRIMARY KEY,
    roles       TEXT    NOT NULL,
    disabled    BOOLEAN NOT NULL,
    created_at  BIGINT  NOT NULL,
    enrolled_at BIGINT  NOT NULL
);

CREATE TABLE enrol_tokens (
    hash       BLOB   PRIMARY KEY,
    user_name  TEXT   NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);

CREATE TABLE requests (
    id         TEXT   PRIMARY KEY,
    user_name  TEXT   NOT NULL REFERENCES users (name),
    resource   TEXT   NOT NULL,
    duration   BIGINT NOT NULL,
    reason     TEXT   NOT NULL,
    csr        BLOB   NOT NULL,
    state      TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    decided_at BIGINT NOT NULL,
    decisions  TEXT   NOT NULL,
    grant_id   TEXT   NOT NULL
);

CREATE INDEX requests_state_created ON requests (state, created_at);
CREATE INDEX requests_user_created ON requests (user_name, created_at);

CREATE TABLE grants (
    id          TEXT   PRIMARY KEY,
    request_id  TEXT   NOT NULL REFERENCES requests (id),
    user_name   TEXT   NOT NULL REFERENCES users (name),
    resource    TEXT   NOT NULL,
    not_before  BIGINT NOT NULL,
    not_after   BIGINT NOT NULL,
    state       TEXT   NOT NULL,
    ended_at    BIGINT NOT NULL,
    ended_by    TEXT   NOT NULL,
    end_reason  TEXT   NOT NULL,
    certificate BLOB   NOT NULL
);

CREATE INDEX grants_state_not_after ON grants (state, not_after);
CREATE INDEX grants_user_not_before ON grants (user_name, not_before);

CREATE TABLE events (
    seq         BIGINT PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    actor       TEXT   NOT NULL,
    action      TEXT   NOT NULL,
    subject     TEXT   NOT NULL,
    detail      TEXT   NOT NULL
);

-- +goose Down
DROP TABLE events;
DROP TABLE grants;
DROP TABLE requests;
DROP TABLE enrol_tokens;
DROP TABLE users;
