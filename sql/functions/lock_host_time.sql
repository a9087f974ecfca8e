CREATE OR REPLACE FUNCTION scheduling_internal.lock_host_time(p_host_id uuid)
RETURNS void
LANGUAGE sql
AS $function$
    -- Two-key form: its own key space, apart from the one-key locks (tick's). The first key is "SKHO" in ASCII;
    -- two hosts whose ids hash alike only wait for each other, they never see each other's sessions.
    SELECT pg_catalog.pg_advisory_xact_lock(1397442639, pg_catalog.hashtext(p_host_id::text));
$function$;

COMMENT ON FUNCTION scheduling_internal.lock_host_time(uuid) IS
'Serialises, until the end of the transaction, everything that places a session in a host''s time: the '
'sessions_validate_host_time trigger, book_next_available_slot and anything else that looks for the host''s free '
'time and then takes it. Whoever waits for the lock then reads the sessions committed meanwhile (read committed), '
'so two transactions never both take the same time.'
' Side effects: takes a transaction-level advisory lock (released at commit or rollback).';
