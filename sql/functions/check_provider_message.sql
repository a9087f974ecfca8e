CREATE OR REPLACE FUNCTION scheduling_internal.check_provider_message(
    p_function text,
    p_provider text,
    p_provider_message_id text,
    p_now timestamptz
)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $function$
DECLARE
    c_max_id_length CONSTANT integer := scheduling_internal.text_limit('name');
BEGIN
    PERFORM scheduling_internal.check_now(p_function, p_now);
    IF p_provider IS NULL OR p_provider NOT IN ('whatsapp', 'twilio') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK035',
            MESSAGE = format('unknown provider %s: whatsapp or twilio', coalesce(quote_literal(p_provider), 'NULL'));
    END IF;
    IF coalesce(btrim(p_provider_message_id), '') = '' OR char_length(p_provider_message_id) > c_max_id_length THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK036',
            MESSAGE = format(
                'provider message id missing, blank or longer than %s characters: %s',
                c_max_id_length, coalesce(quote_literal(left(p_provider_message_id, 40)), 'NULL')
            );
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.check_provider_message(text, text, text, timestamptz) IS
'Internal input check of the webhook''s functions (p_function names the caller in the message): SK009 NULL '
'or infinite p_now, SK038 p_now in the future with simulated time off (see check_now), SK035 provider other '
'than whatsapp or twilio, SK036 provider message id NULL, blank or over 200 characters.'
' Side effects: none.';
