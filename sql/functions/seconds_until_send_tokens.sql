-- SECURITY DEFINER: the worker holds no table privileges; this is one of the few outbox calls it may make.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.seconds_until_send_tokens(
    p_sending_number text,
    p_wanted integer DEFAULT 1,
    p_now timestamptz DEFAULT now()
)
RETURNS double precision
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
STABLE
AS $function$
DECLARE
    v_limit scheduling.send_rate_limits;
    v_wanted numeric;
    v_tokens numeric;
BEGIN
    IF p_sending_number IS NULL OR btrim(p_sending_number) = '' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009', MESSAGE = 'seconds_until_send_tokens: the sending number must not be blank';
    END IF;
    IF p_wanted IS NULL OR p_wanted < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format(
                'seconds_until_send_tokens: p_wanted must be 0 or more, not %s', coalesce(p_wanted::text, 'NULL')
            );
    END IF;
    PERFORM scheduling_internal.check_now_given('seconds_until_send_tokens', p_now);

    -- Waiting does not lift a halt: only resume_sending does (and its NOTIFY wakes the worker).
    IF EXISTS (
        SELECT FROM scheduling.sender_halts AS h
        WHERE h.sending_number = p_sending_number AND h.lifted_at IS NULL
    ) THEN
        RETURN 'Infinity'::double precision;
    END IF;

    SELECT l.*
    INTO v_limit
    FROM scheduling.send_rate_limits AS l
    WHERE l.sending_number = p_sending_number;

    IF NOT FOUND THEN
        RETURN 0; -- the first take creates a full bucket
    END IF;

    -- More than one bucket can hold is asked as a full bucket: the most one take can grant.
    v_wanted := least(p_wanted::numeric, greatest(v_limit.messages_per_second, 1));
    v_tokens := v_limit.tokens;
    IF p_now > v_limit.refilled_at THEN
        v_tokens := v_tokens + extract(EPOCH FROM p_now - v_limit.refilled_at) * v_limit.messages_per_second;
    END IF;
    IF v_tokens >= v_wanted THEN
        RETURN 0;
    END IF;

    -- Tokens accrue from refilled_at on: a p_now before it waits for refilled_at first.
    RETURN (
        greatest(extract(EPOCH FROM v_limit.refilled_at - p_now), 0)
        + (v_wanted - v_tokens) / v_limit.messages_per_second
    )::double precision;
END;
$function$;

COMMENT ON FUNCTION scheduling.seconds_until_send_tokens(text, integer, timestamptz) IS
'Seconds from p_now until take_send_tokens(p_sending_number, p_wanted) could grant p_wanted tokens: 0 when it '
'could now (or the number has no bucket yet: the first take gets a full one). p_wanted above the capacity '
'counts as a full bucket. Infinity while a halt stands for the number (sender_halts): no wait makes tokens come '
'back, only resume_sending, whose NOTIFY scheduling_reminders_due wakes the worker. Reads only: the worker''s '
'idle sleep while rate-limited or halted. Errors: SK009 blank number, '
'p_wanted NULL or negative, NULL p_now.'
' Side effects: none.';

GRANT EXECUTE ON FUNCTION scheduling.seconds_until_send_tokens(text, integer, timestamptz) TO sessionkeeper_worker;
