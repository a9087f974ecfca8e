CREATE OR REPLACE FUNCTION scheduling_internal.default_generation_days()
RETURNS integer
LANGUAGE sql
IMMUTABLE
AS $function$
    -- How many days ahead recurring templates generate their sessions when nobody says otherwise. The p_days_ahead
    -- DEFAULTs of the public functions repeat it as a literal (callers cannot reach this schema), and pgTAP
    -- 047_shared_rules checks that every one of them equals it; the CLI's `generate --days` default too (pytest).
    SELECT 30;
$function$;

COMMENT ON FUNCTION scheduling_internal.default_generation_days() IS
'Internal: the default horizon of recurring generation, in days (30): what the nightly job and preview use, and '
'the p_days_ahead DEFAULT of generate_recurring_sessions, generate_all_recurring_sessions and resume_template. '
'No errors.'
' Side effects: none.';
