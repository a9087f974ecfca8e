CREATE OR REPLACE FUNCTION scheduling_internal.sessions_validate_host_time()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
DECLARE
    v_busy scheduling.sessions;
BEGIN
    IF NEW.status NOT IN ('scheduled', 'in_progress', 'completed') THEN
        RETURN NEW; -- cancelled, no-show and deleted sessions hold no time
    END IF;
    IF TG_OP = 'INSERT' AND NEW.template_id IS NOT NULL AND scheduling_internal.in_checked_generation() THEN
        RETURN NEW; -- generation checked the host's time itself, under the host's time lock
    END IF;
    IF TG_OP = 'UPDATE'
        AND OLD.status IN ('scheduled', 'in_progress', 'completed')
        AND NEW.host_id = OLD.host_id
        AND NEW.starts_at = OLD.starts_at
        AND NEW.ends_at = OLD.ends_at THEN
        RETURN NEW; -- a step of the lifecycle: the session keeps the time it had
    END IF;

    -- Waiting here for a concurrent writer of the same host, then reading what it committed, turns a race into
    -- SK059 naming the other session instead of the bare exclusion violation the constraint would raise.
    PERFORM scheduling_internal.lock_host_time(NEW.host_id);
    v_busy := scheduling_internal.host_busy_with(NEW.host_id, NEW.starts_at, NEW.ends_at, NEW.id);
    IF v_busy.id IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK059',
            MESSAGE = scheduling_internal.host_busy_message(v_busy, NEW.starts_at, NEW.ends_at),
            DETAIL = format('busy_session_id=%s', v_busy.id),
            HINT = 'Pick another time (scheduling.free_slots lists free ones), or cancel or move the other session.';
    END IF;
    RETURN NEW;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.sessions_validate_host_time() IS
'Trigger function: a host is in one session at a time. Before a session is inserted, moved, given another host or '
'made live again (cancelled or no-show back to scheduled), it waits for the host''s time lock (lock_host_time) and '
'raises SK059 naming the live session (scheduled, in progress or completed) whose time overlaps; the message gives '
'both times in that session''s zone and DETAIL carries busy_session_id=<uuid>. Lifecycle steps that keep the '
'time (tick, start, complete) pass at once, and so do rows of a template inserted by generation, which checked '
'the host''s time itself under the lock (in_checked_generation). The exclusion constraint '
'sessions_host_time_never_overlaps is the backstop for writers in repeatable read or serializable transactions '
'(SQLSTATE 23P01 there).'
' Side effects: takes the host''s transaction-level advisory lock; none on the row.';

CREATE OR REPLACE TRIGGER sessions_validate_host_time
BEFORE INSERT OR UPDATE OF host_id, starts_at, ends_at, status ON scheduling.sessions
FOR EACH ROW EXECUTE FUNCTION scheduling_internal.sessions_validate_host_time();

COMMENT ON TRIGGER sessions_validate_host_time ON scheduling.sessions IS
'Runs after sessions_validate (triggers fire in name order): refuses a session that would overlap another live '
'session of its host (SK059), whoever writes it.';
