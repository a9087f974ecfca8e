-- SECURITY DEFINER: the worker holds no table privileges; this is one of the few outbox calls it may make.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.return_send_tokens(
    p_sending_number text,
    p_unused integer
)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
BEGIN
    IF p_unused IS NULL OR p_unused < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format('return_send_tokens: p_unused must be 0 or more, not %s', coalesce(p_unused::text, 'NULL'));
    END IF;

    UPDATE scheduling.send_rate_limits AS l
    SET tokens = least(greatest(l.messages_per_second, 1), l.tokens + p_unused)
    WHERE l.sending_number = p_sending_number;

    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK021',
            MESSAGE = format(
                'return_send_tokens: sending number %s has no token bucket (it never took tokens)',
                coalesce(p_sending_number, 'NULL')
            );
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling.return_send_tokens(text, integer) IS
'Gives back p_unused tokens that take_send_tokens granted but the claim did not use, never filling the bucket '
'above its capacity (greatest(messages_per_second, 1)). Leaves refilled_at alone. Errors: SK009 p_unused NULL '
'or negative, SK021 a sending number that never took tokens.'
' Side effects: updates scheduling.send_rate_limits (tokens).';

GRANT EXECUTE ON FUNCTION scheduling.return_send_tokens(text, integer) TO sessionkeeper_worker;
