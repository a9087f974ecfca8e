-- SECURITY DEFINER: the worker holds no table privileges; this is one of the few outbox calls it may make.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.take_send_tokens(
    p_sending_number text,
    p_wanted integer,
    p_now timestamptz DEFAULT now()
)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_limit scheduling.send_rate_limits;
    v_granted integer;
BEGIN
    PERFORM scheduling_internal.check_now('take_send_tokens', p_now);
    IF p_wanted IS NULL OR p_wanted < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format('take_send_tokens: p_wanted must be 0 or more, not %s', coalesce(p_wanted::text, 'NULL'));
    END IF;

    PERFORM scheduling_internal.check_text_length('take_send_tokens: p_sending_number', p_sending_number, 'name');
    -- A halted number sends nothing until a person lifts the halt: no worker claims rows for it.
    IF EXISTS (
        SELECT FROM scheduling.sender_halts AS h
        WHERE h.sending_number = p_sending_number AND h.lifted_at IS NULL
    ) THEN
        RETURN 0;
    END IF;
    v_limit := scheduling_internal.lock_send_rate_limit(p_sending_number, p_now);
    v_granted := floor(least(p_wanted::numeric, v_limit.tokens))::integer;

    UPDATE scheduling.send_rate_limits AS l
    SET
        tokens = v_limit.tokens - v_granted,
        refilled_at = v_limit.refilled_at
    WHERE l.sending_number = v_limit.sending_number;

    RETURN v_granted;
END;
$function$;

COMMENT ON FUNCTION scheduling.take_send_tokens(text, integer, timestamptz) IS
'Takes up to p_wanted whole send tokens from the bucket of p_sending_number and returns how many it granted: '
'floor(least(p_wanted, tokens)) after refilling to p_now (see send_rate_limits; the bucket is created full at '
'80 messages/s on first use). The row lock makes all worker processes share one bucket exactly. The worker '
'claims at most the granted number of rows, then gives back what it did not use (return_send_tokens). While a '
'halt stands for the number (sender_halts, halt_sending) it grants 0 and leaves the bucket alone. Errors: '
'SK009 blank number, p_wanted NULL or negative, NULL p_now.'
' Input limits: SK034 p_sending_number over 200 characters.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts (first use) or updates the number''s scheduling.send_rate_limits row; none while the '
'number is halted.';

GRANT EXECUTE ON FUNCTION scheduling.take_send_tokens(text, integer, timestamptz) TO sessionkeeper_worker;
