CREATE OR REPLACE FUNCTION scheduling_internal.sessions_validate()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
DECLARE
    v_host_time_zone text;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK002',
            MESSAGE = format('session %s is deleted (at %s); it cannot be changed', OLD.id, OLD.deleted_at);
    END IF;

    -- A row of a template inserted by generation: the template passed the same checks (title, zone, capacity,
    -- metadata, start mode, positive duration) and generation checked that the host is live.
    IF TG_OP = 'INSERT' AND NEW.template_id IS NOT NULL AND scheduling_internal.in_checked_generation() THEN
        PERFORM
            scheduling_internal.check_time_range('session start', NEW.starts_at),
            scheduling_internal.check_time_range('session end', NEW.ends_at);
        RETURN NEW;
    END IF;

    PERFORM
        scheduling_internal.check_title('session', NEW.title),
        scheduling_internal.check_text_length('session time_zone', NEW.time_zone, 'name'),
        scheduling_internal.check_text_length('session cancel_reason', NEW.cancel_reason, 'free_text'),
        scheduling_internal.check_text_length('session deleted_reason', NEW.deleted_reason, 'free_text'),
        scheduling_internal.check_capacity('session', NEW.capacity),
        scheduling_internal.check_metadata('session', NEW.metadata);

    IF NEW.start_mode IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'session start_mode must not be null';
    END IF;

    IF NEW.starts_at IS NULL OR NEW.ends_at IS NULL OR NEW.ends_at <= NEW.starts_at THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK004',
            MESSAGE = format('session end %s is not after its start %s', NEW.ends_at, NEW.starts_at);
    END IF;
    IF TG_OP = 'INSERT' OR NEW.starts_at IS DISTINCT FROM OLD.starts_at OR NEW.ends_at IS DISTINCT FROM OLD.ends_at THEN
        PERFORM
            scheduling_internal.check_time_range('session start', NEW.starts_at),
            scheduling_internal.check_time_range('session end', NEW.ends_at);
    END IF;

    IF TG_OP = 'INSERT' OR NEW.host_id IS DISTINCT FROM OLD.host_id THEN
        -- The host must exist and not be deleted; its zone is the default.
        v_host_time_zone := scheduling_internal.live_host_time_zone(NEW.host_id);
        NEW.time_zone := coalesce(NEW.time_zone, v_host_time_zone);
    END IF;

    IF NEW.time_zone IS NULL
        OR NOT EXISTS (SELECT 1 FROM scheduling.time_zones AS tz WHERE tz.name = NEW.time_zone) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK005',
            MESSAGE = format('unknown time zone %L for session', NEW.time_zone),
            HINT = 'Use an IANA time zone name such as Europe/Madrid (see scheduling.time_zones).';
    END IF;

    IF TG_OP = 'UPDATE' AND NEW.status IS DISTINCT FROM OLD.status AND NOT (
        (OLD.status = 'scheduled' AND NEW.status IN ('in_progress', 'completed', 'cancelled', 'no_show'))
        OR (OLD.status = 'in_progress' AND NEW.status IN ('completed', 'cancelled', 'no_show'))
        OR (OLD.status IN ('cancelled', 'no_show') AND NEW.status = 'scheduled')
        OR NEW.status = 'deleted'
    ) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK003',
            MESSAGE = format('cannot change session %s from %s to %s', OLD.id, OLD.status, NEW.status);
    END IF;

    RETURN NEW;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.sessions_validate() IS
'Trigger function: validates a session before INSERT/UPDATE and fills time_zone from the host when NULL. Raises '
'SK002 (row is soft-deleted), SK009 (blank title, negative capacity, metadata not an object, a start or end outside '
'the years 1900 to 9999 or infinite), SK034 (title or time_zone over 200 characters, cancel or delete reason over '
'2000, metadata over 10000 as JSON text), SK004 (end not after start), SK007 (host missing or deleted), SK005 '
'(unknown time zone), SK003 (status change outside the lifecycle: scheduled -> '
'in_progress/completed/cancelled/no_show, in_progress -> completed/cancelled/no_show, cancelled/no_show -> '
'scheduled, any -> deleted; a deleted row accepts no change at all). A row of a template inserted by generation '
'(in_checked_generation) is checked only for its time range: the template passed the rest.'
' Side effects: none beyond the row itself (time_zone filled from the host).';

CREATE OR REPLACE TRIGGER sessions_validate
BEFORE INSERT OR UPDATE ON scheduling.sessions
FOR EACH ROW EXECUTE FUNCTION scheduling_internal.sessions_validate();

COMMENT ON TRIGGER sessions_validate ON scheduling.sessions IS
'Validates every written session so that direct writes and the scheduling functions raise the same SQLSTATE.';
