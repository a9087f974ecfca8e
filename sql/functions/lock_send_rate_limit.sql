CREATE OR REPLACE FUNCTION scheduling_internal.lock_send_rate_limit(
    p_sending_number text,
    p_now timestamptz DEFAULT now()
)
RETURNS scheduling.send_rate_limits
LANGUAGE plpgsql
AS $function$
DECLARE
    v_limit scheduling.send_rate_limits;
    v_created integer;
    v_capacity numeric;
    v_elapsed numeric;
BEGIN
    IF p_sending_number IS NULL OR btrim(p_sending_number) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'the sending number must not be blank';
    END IF;
    IF p_now IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'p_now must not be NULL';
    END IF;

    -- First use: the row with the default rate; concurrent first uses wait here for the one that inserts.
    INSERT INTO scheduling.send_rate_limits AS l (sending_number, tokens, refilled_at)
    VALUES (p_sending_number, 0, p_now)
    ON CONFLICT (sending_number) DO NOTHING;
    GET DIAGNOSTICS v_created = ROW_COUNT;

    SELECT l.*
    INTO STRICT v_limit
    FROM scheduling.send_rate_limits AS l
    WHERE l.sending_number = p_sending_number
    FOR UPDATE;

    v_capacity := greatest(v_limit.messages_per_second, 1);
    IF v_created > 0 THEN
        v_limit.tokens := v_capacity; -- a new bucket starts full
    ELSIF p_now > v_limit.refilled_at THEN
        v_elapsed := extract(EPOCH FROM p_now - v_limit.refilled_at);
        v_limit.tokens := least(v_capacity, v_limit.tokens + v_elapsed * v_limit.messages_per_second);
        v_limit.refilled_at := p_now;
    END IF;
    -- A p_now at or before refilled_at refills nothing, and refilled_at never moves back.

    RETURN v_limit;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.lock_send_rate_limit(text, timestamptz) IS
'Internal helper of take_send_tokens and set_send_rate: locks the token bucket of p_sending_number (creating it '
'full, at the default rate, on first use) and returns it refilled to p_now (elapsed seconds x '
'messages_per_second, never above the capacity greatest(messages_per_second, 1); nothing when p_now is not '
'after refilled_at). The caller writes tokens and refilled_at back. Errors: SK009 blank number, NULL p_now.'
' Side effects: inserts the number''s scheduling.send_rate_limits row on first use and locks it (the refill is '
'returned to the caller, not written).';
