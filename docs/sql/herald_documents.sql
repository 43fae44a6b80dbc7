-- Herald's trigger for the postgres document store (docs/configuration.md, "The postgres store").
-- It tells Herald, through NOTIFY, which row of a document table changed; Herald reads the row
-- itself and publishes the change to the MonoRail watchers of the table's resources.
--
-- Install once per database:   psql -f docs/sql/herald_documents.sql
-- Then once per table:
--   CREATE TABLE nodes (id text PRIMARY KEY, document jsonb NOT NULL);
--   CREATE TRIGGER herald_documents AFTER INSERT OR UPDATE OR DELETE ON nodes
--       FOR EACH ROW EXECUTE FUNCTION herald_notify();
-- The channel is "herald_documents" (the store's default `listen`); another one is given as
-- the trigger's argument: EXECUTE FUNCTION herald_notify('my_channel').
--
-- The payload is small JSON: {"schema":…,"table":…,"op":"INSERT"|"UPDATE"|"DELETE","id":…},
-- plus "old" (the row as it was, with its id) for a DELETE when it fits. NOTIFY refuses
-- payloads of 8000 bytes or more, so a larger "old" is left out (Herald then sends {"id":…} as
-- the destroyed record), and a row whose id alone is too long is not announced (a warning).
-- An UPDATE that changes the id is announced as a DELETE of the old id and an INSERT of the
-- new one. Notifications are sent when the transaction commits, and not at all if it rolls back.

CREATE OR REPLACE FUNCTION herald_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    channel text := coalesce(TG_ARGV[0], 'herald_documents');
    head jsonb;
    old_record jsonb;
    payloads text[] := '{}';
    payload text;
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id) THEN
        head := jsonb_build_object('schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME,
                                   'op', 'DELETE', 'id', OLD.id);
        payload := head::text;
        IF jsonb_typeof(OLD.document) = 'object' THEN
            old_record := OLD.document || jsonb_build_object('id', OLD.id);
            IF octet_length(payload) + octet_length(old_record::text) < 7900 THEN
                payload := (head || jsonb_build_object('old', old_record))::text;
            END IF;
        END IF;
        payloads := payloads || payload;
    END IF;
    IF TG_OP = 'INSERT' OR TG_OP = 'UPDATE' THEN
        payloads := payloads || jsonb_build_object(
            'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME,
            'op', CASE WHEN TG_OP = 'UPDATE' AND OLD.id = NEW.id THEN 'UPDATE' ELSE 'INSERT' END,
            'id', NEW.id)::text;
    END IF;
    FOREACH payload IN ARRAY payloads LOOP
        IF octet_length(payload) < 8000 THEN
            PERFORM pg_notify(channel, payload);
        ELSE
            RAISE WARNING 'herald_notify: a row of % has an id too long to announce', TG_TABLE_NAME;
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;
