CREATE OR REPLACE FUNCTION scheduling.set_max_lease_expiries(p_max_lease_expiries integer)
RETURNS void
LANGUAGE plpgsql
AS $function$
BEGIN
    IF p_max_lease_expiries IS NULL OR p_max_lease_expiries < 1 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK039',
            MESSAGE = format(
                'set_max_lease_expiries: the number of lease expiries must be 1 or more, not %s',
                coalesce(p_max_lease_expiries::text, 'NULL')
            );
    END IF;

    -- The row is written by migration 0004; it is re-created if a DBA deleted it.
    INSERT INTO scheduling.worker_settings AS ws (singleton, max_lease_expiries)
    VALUES (TRUE, p_max_lease_expiries)
    ON CONFLICT (singleton) DO UPDATE SET max_lease_expiries = excluded.max_lease_expiries;
END;
$function$;

COMMENT ON FUNCTION scheduling.set_max_lease_expiries(integer) IS
'Sets worker_settings.max_lease_expiries, for all worker processes at once: how many times a row''s lease may '
'expire without an outcome being recorded (a message that crashes the worker) before claim_due_reminders makes '
'it failed instead of handing it out again (default 3; 1 = fail at the first expiry). Rows already failed stay '
'failed; rows leased now are judged by the new value when their lease expires. Errors: SK039 NULL, 0 or '
'negative.'
' Side effects: updates (or re-creates) the scheduling.worker_settings row.';
