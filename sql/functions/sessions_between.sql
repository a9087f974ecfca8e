-- SECURITY DEFINER: like every function a group role may run (the app could read session_availability itself,
-- but then the function would depend on who is granted the view). search_path is fixed so that no schema of the
-- caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.sessions_between(p_from timestamptz, p_to timestamptz)
RETURNS SETOF scheduling.session_availability
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    c_max_span CONSTANT interval := '93 days';
BEGIN
    IF p_from IS NULL OR p_to IS NULL OR NOT isfinite(p_from) OR NOT isfinite(p_to) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK078',
            MESSAGE = format(
                'sessions_between: p_from and p_to must be finite times, not %s and %s',
                coalesce(p_from::text, 'NULL'), coalesce(p_to::text, 'NULL')
            );
    END IF;
    IF p_to <= p_from THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK078',
            MESSAGE = format('sessions_between: p_to (%s) must be after p_from (%s)', p_to, p_from);
    END IF;
    IF p_to - p_from > c_max_span THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK078',
            MESSAGE = format(
                'sessions_between: at most %s at a time, not %s to %s', c_max_span, p_from, p_to
            );
    END IF;

    RETURN QUERY
    SELECT a.*
    FROM scheduling.session_availability AS a
    WHERE a.starts_at < p_to AND a.ends_at > p_from
    ORDER BY a.starts_at, a.session_id;
END;
$function$;

COMMENT ON FUNCTION scheduling.sessions_between(timestamptz, timestamptz) IS
'The sessions (not deleted) that overlap [p_from, p_to): starts_at before p_to and ends_at after p_from, as rows '
'of session_availability (seats left, waitlist, calculated status), ordered by starts_at and session_id. For the '
'HTTP API''s session list. Errors: SK078 p_from or p_to NULL or not finite, p_to not after p_from, or more than '
'93 days at once.'
' Side effects: none.';

GRANT EXECUTE ON FUNCTION scheduling.sessions_between(timestamptz, timestamptz) TO sessionkeeper_app;
