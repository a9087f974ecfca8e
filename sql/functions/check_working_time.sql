CREATE OR REPLACE FUNCTION scheduling_internal.check_working_time(
    p_host_id uuid,
    p_starts_at timestamptz,
    p_ends_at timestamptz
)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $function$
DECLARE
    v_time_zone text;
BEGIN
    -- Only hosts with weekly hours are checked; a bad time range is left to create_session's own message.
    IF p_starts_at IS NULL OR p_ends_at IS NULL OR p_ends_at <= p_starts_at
        OR NOT EXISTS (SELECT FROM scheduling.working_hours AS w WHERE w.host_id = p_host_id) THEN
        RETURN;
    END IF;
    PERFORM scheduling_internal.check_time_range('create_appointment: p_starts_at', p_starts_at);
    PERFORM scheduling_internal.check_time_range('create_appointment: p_ends_at', p_ends_at);
    v_time_zone := scheduling_internal.live_host_time_zone(p_host_id);
    IF NOT scheduling_internal.working_time_of(p_host_id, v_time_zone, p_starts_at, p_ends_at)
        @> tstzrange(p_starts_at, p_ends_at, '[)') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK063',
            MESSAGE = format(
                '%s to %s is outside the working time of host %s',
                scheduling_internal.format_local_time(p_starts_at, v_time_zone),
                scheduling_internal.format_local_time(p_ends_at, v_time_zone),
                p_host_id
            ),
            HINT = 'See scheduling.free_slots or working_time; the host may book it anyway with '
            'p_outside_working_hours => true.';
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.check_working_time(uuid, timestamptz, timestamptz) IS
'Internal check of create_appointment: SK063 (naming the local times in the host''s zone) when host p_host_id has '
'weekly working hours and [p_starts_at, p_ends_at) is not wholly inside its working time (working_time_of). A host '
'without weekly hours, or a time range that is not one (NULL, end not after start), passes: create_session '
'judges the latter. SK009 a time outside the years 1900 to 9999.'
' Side effects: none.';
