CREATE OR REPLACE FUNCTION scheduling_internal.check_now(p_function text, p_now timestamptz)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $function$
DECLARE
    -- A caller's clock may run a little ahead of the server's; more than this is a pretended time.
    c_tolerance CONSTANT interval := '5 minutes';
BEGIN
    -- Called first by every function that writes and takes p_now, before any row is locked or written.
    IF p_now IS NULL OR NOT isfinite(p_now) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format('%s: p_now must be a finite time, not %s', p_function, coalesce(p_now::text, 'NULL'));
    END IF;
    -- The past stays allowed (catching up after downtime); a future time only when simulated time is on.
    IF
        p_now > transaction_timestamp() + c_tolerance
        AND lower(btrim(coalesce(current_setting('sessionkeeper.simulated_time', TRUE), '')))
        NOT IN ('on', 'true', 'yes', '1')
    THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK038',
            MESSAGE = format(
                '%s: p_now %s is more than 5 minutes ahead of the database''s time %s and simulated time is off',
                p_function, p_now, transaction_timestamp()
            ),
            HINT = 'To pretend it is that time and write as if it were, SET sessionkeeper.simulated_time = on '
            '(or SET LOCAL inside a transaction); to look without writing, use scheduling.preview.';
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.check_now(text, timestamptz) IS
'Internal input check of every function that writes and takes p_now (p_function names the caller in the '
'message): SK009 when p_now is NULL or infinite; SK038 when p_now is more than 5 minutes after '
'transaction_timestamp() and the setting sessionkeeper.simulated_time is not on (on, true, yes or 1, any case; '
'unset, empty or anything else is off). A p_now in the past always passes.'
' Side effects: none.';
