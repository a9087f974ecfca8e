CREATE OR REPLACE FUNCTION scheduling_internal.reminder_parameters(
    p_customer_name text,
    p_service text,
    p_host_name text,
    p_starts_at timestamptz,
    p_time_zone text,
    p_now timestamptz DEFAULT now()
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
AS $function$
BEGIN
    RETURN jsonb_build_object(
        'customer_name', p_customer_name,
        'service', p_service,
        'host_name', p_host_name,
        'date_time', scheduling_internal.format_local_time(p_starts_at, p_time_zone),
        'time_until', scheduling_internal.human_duration(p_starts_at - p_now)
    );
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.reminder_parameters(text, text, text, timestamptz, text, timestamptz) IS
'The values of every placeholder a message template may use, as a JSON object: customer_name, service '
'(session title), host_name, date_time (the slot start in the recipient''s zone) and time_until (from p_now '
'to the start, as a phrase). Called by claim_due_reminders at claim time.'
' Side effects: none.';
