CREATE OR REPLACE FUNCTION scheduling_internal.host_busy_message(
    p_busy scheduling.sessions,
    p_starts_at timestamptz,
    p_ends_at timestamptz
)
RETURNS text
LANGUAGE sql
STABLE
AS $function$
    SELECT format(
        '%s (host %s) is busy from %s to %s: session %s (%s, %s) runs from %s to %s',
        (SELECT h.full_name FROM scheduling.people AS h WHERE h.id = p_busy.host_id),
        p_busy.host_id,
        scheduling_internal.format_local_time(p_starts_at, p_busy.time_zone),
        scheduling_internal.format_local_time(p_ends_at, p_busy.time_zone),
        p_busy.id,
        p_busy.title,
        p_busy.status,
        scheduling_internal.format_local_time(p_busy.starts_at, p_busy.time_zone),
        scheduling_internal.format_local_time(p_busy.ends_at, p_busy.time_zone)
    );
$function$;

COMMENT ON FUNCTION scheduling_internal.host_busy_message(scheduling.sessions, timestamptz, timestamptz) IS
'One line saying why a host cannot take [p_starts_at, p_ends_at): the session p_busy that holds the time, with the '
'host''s name and id, the session''s id, title, status and local times (in that session''s zone). Used in SK059 '
'errors and in the logs of generation and cloning.'
' Side effects: none.';
