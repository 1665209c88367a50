-- What replicas sharing this database need of each other.
--
-- leases: which replica does a job that only one may do, such as
-- delivering a webhook, until when (unix nanoseconds). Keep it in step with
-- ../sqlite/00004_fleet.sql.
--
-- The grant feed: every audit event of a grant (grant.revoke,
-- grant.release, grant.expire, grant.session, ...) is announced on the
-- channel jitgate_grants, from inside the transaction that appends it, so
-- that the announcement goes out when, and only if, the change commits.
-- Every state change commits with its audit event, so every change is
-- announced. The payload names the schema, the event's seq, its action and
-- the grant; listeners read the grant's state from the table, so a forged
-- NOTIFY cannot change what a replica decides.

-- +goose Up
CREATE TABLE leases (
    name       TEXT   PRIMARY KEY,
    holder     TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION jitgate_announce_grant_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('jitgate_grants', json_build_object(
        'schema', TG_TABLE_SCHEMA,
        'seq', NEW.seq,
        'action', NEW.action,
        'grant', NEW.subject)::text);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER events_announce_grant
    AFTER INSERT ON events
    FOR EACH ROW
    WHEN (NEW.action LIKE 'grant.%')
    EXECUTE FUNCTION jitgate_announce_grant_event();

-- +goose Down
DROP TRIGGER events_announce_grant ON events;
DROP FUNCTION jitgate_announce_grant_event();
DROP TABLE leases;
