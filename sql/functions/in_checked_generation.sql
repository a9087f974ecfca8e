CREATE OR REPLACE FUNCTION scheduling_internal.in_checked_generation()
RETURNS boolean
LANGUAGE sql
VOLATILE
AS $function$
    -- Set (transaction-local) by generate_templates around its INSERT only, to this transaction's id: a value
    -- left from another transaction, or set by anything that does not know the id, never matches.
    SELECT pg_catalog.current_setting('sessionkeeper.generation_checked', TRUE)
        = pg_catalog.pg_current_xact_id()::text;
$function$;

COMMENT ON FUNCTION scheduling_internal.in_checked_generation() IS
'Internal (the sessions triggers): true only while generate_templates inserts sessions it has checked itself, '
'under the hosts'' time locks: their host is live, their time is free (no live session of the host overlaps them, '
'and they do not overlap each other), and the template they copy passed the same checks of title, zone, capacity '
'and metadata. The triggers then skip those checks for rows of a template (template_id set); every other write '
'meets them in full, and the exclusion constraint sessions_host_time_never_overlaps holds for every row.'
' Side effects: assigns the transaction an id if it has none yet.';
