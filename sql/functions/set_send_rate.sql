CREATE OR REPLACE FUNCTION scheduling.set_send_rate(
    p_sending_number text,
    p_messages_per_second numeric,
    p_now timestamptz DEFAULT now()
)
RETURNS void
LANGUAGE plpgsql
AS $function$
DECLARE
    v_limit scheduling.send_rate_limits;
BEGIN
    PERFORM scheduling_internal.check_now('set_send_rate', p_now);
    IF p_messages_per_second IS NULL OR p_messages_per_second <= 0 OR p_messages_per_second > 1000 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK020',
            MESSAGE = format(
                'set_send_rate: messages per second must be more than 0 and at most 1000, not %s',
                coalesce(p_messages_per_second::text, 'NULL')
            );
    END IF;

    -- Refilled at the old rate up to p_now, then kept within the new capacity.
    v_limit := scheduling_internal.lock_send_rate_limit(p_sending_number, p_now);

    UPDATE scheduling.send_rate_limits AS l
    SET
        messages_per_second = p_messages_per_second,
        tokens = least(v_limit.tokens, greatest(p_messages_per_second, 1)),
        refilled_at = v_limit.refilled_at
    WHERE l.sending_number = v_limit.sending_number;
END;
$function$;

COMMENT ON FUNCTION scheduling.set_send_rate(text, numeric, timestamptz) IS
'Sets the rate of p_sending_number in messages per second (Meta''s default 80, at most 1000), for all worker '
'processes at once. The bucket is refilled at the old rate up to p_now, then capped at the new capacity '
'greatest(rate, 1); an unknown number gets a full bucket. Errors: SK020 rate NULL, not above 0 or above 1000; '
'SK009 blank number.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts (first use) or updates the number''s scheduling.send_rate_limits row.';
