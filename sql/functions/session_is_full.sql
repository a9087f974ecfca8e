CREATE OR REPLACE FUNCTION scheduling_internal.session_is_full(p_capacity integer, p_attendees integer)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
AS $function$
    -- The capacity rule: capacity 0 means unlimited, never full; otherwise full once every seat is taken.
    -- One SQL expression, so the planner inlines it into the queries that ask.
    SELECT p_capacity > 0 AND p_attendees >= p_capacity;
$function$;

COMMENT ON FUNCTION scheduling_internal.session_is_full(integer, integer) IS
'Internal: whether a session with p_capacity seats (0 = unlimited) and p_attendees confirmed bookings is full, '
'i.e. capacity > 0 and attendees >= capacity. NULL when either is NULL. No errors.'
' Side effects: none.';
