CREATE OR REPLACE FUNCTION scheduling_internal.live_host_time_zone(p_host_id uuid)
RETURNS text
LANGUAGE plpgsql
STABLE
AS $function$
DECLARE
    v_deleted_at timestamptz;
    v_time_zone text;
BEGIN
    SELECT p.deleted_at, p.time_zone
    INTO v_deleted_at, v_time_zone
    FROM scheduling.people AS p
    WHERE p.id = p_host_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK007', MESSAGE = format('host %s not found', coalesce(p_host_id::text, 'NULL'));
    END IF;
    IF v_deleted_at IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK007', MESSAGE = format('host %s is deleted (at %s)', p_host_id, v_deleted_at);
    END IF;
    RETURN v_time_zone;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.live_host_time_zone(uuid) IS
'Internal check of the host of a session or template: returns the host''s time zone (the default zone of what '
'they host). Errors: SK007 when the person does not exist or is deleted.'
' Side effects: none.';
