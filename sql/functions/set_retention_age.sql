CREATE OR REPLACE FUNCTION scheduling.set_retention_age(p_older_than interval)
RETURNS interval
LANGUAGE plpgsql
AS $function$
DECLARE
    v_previous interval;
BEGIN
    PERFORM scheduling_internal.check_retention_age('set_retention_age', p_older_than);
    SELECT rs.older_than INTO v_previous FROM scheduling.retention_settings AS rs WHERE rs.singleton FOR UPDATE;
    -- The row is written by migration 0027; should it be gone, the setting makes it again.
    INSERT INTO scheduling.retention_settings AS rs (singleton, older_than) VALUES (TRUE, p_older_than)
    ON CONFLICT (singleton) DO UPDATE SET older_than = excluded.older_than;
    RETURN coalesce(v_previous, INTERVAL '7 days');
END;
$function$;

COMMENT ON FUNCTION scheduling.set_retention_age(interval) IS
'Sets the retention age (scheduling.retention_settings.older_than): provider events and inbound messages older '
'than it and the heartbeats of workers gone quiet that long are deleted by purge_old_records, and pg_cron''s '
'run history of sessionkeeper''s jobs by the cron-history job (which takes a new age at the next '
'`sessionkeeper migrate`; `sessionkeeper doctor` shows it differs until then). Returns the age it replaced. '
'For the owner and operators only (no grant). Errors: SK046 age NULL, zero or negative (nothing changes). '
'Side effects: updates the scheduling.retention_settings row (inserts it if it is missing).';
