CREATE OR REPLACE FUNCTION scheduling_internal.check_retention_age(p_function text, p_older_than interval)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $function$
BEGIN
    -- Called before anything is locked or written: a refused age changes nothing.
    IF p_older_than IS NULL OR p_older_than <= INTERVAL '0' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK046',
            MESSAGE = format(
                '%s: the retention age must be more than zero, not %s',
                p_function, coalesce(p_older_than::text, 'NULL')
            ),
            HINT = 'For example interval ''7 days'' (the default) or interval ''30 days''.';
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.check_retention_age(text, interval) IS
'The one check of a retention age, shared by set_retention_age and purge_old_records: p_older_than must be more '
'than zero. Errors: SK046 NULL, zero or negative age (named after p_function). '
'Side effects: none.';
