-- SECURITY DEFINER: the worker holds no table privileges; this is one of the few outbox calls it may make.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.sender_halt(p_sending_number text)
RETURNS SETOF scheduling.sender_halts
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
STABLE
AS $function$
BEGIN
    IF p_sending_number IS NULL OR btrim(p_sending_number) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'sender_halt: the sending number must not be blank';
    END IF;
    PERFORM scheduling_internal.check_text_length('sender_halt: p_sending_number', p_sending_number, 'name');

    RETURN QUERY
    SELECT h.*
    FROM scheduling.sender_halts AS h
    WHERE h.sending_number = p_sending_number AND h.lifted_at IS NULL;
END;
$function$;

COMMENT ON FUNCTION scheduling.sender_halt(text) IS
'The standing halt of p_sending_number (see sender_halts): one row while the number is halted, none otherwise. '
'The worker reads it at start, while take_send_tokens grants nothing, and with each heartbeat, to say why it '
'sends nothing and to report it in its metrics. Errors: SK009 blank number. Input limits: SK034 number over 200 '
'characters.'
' Side effects: none.';

GRANT EXECUTE ON FUNCTION scheduling.sender_halt(text) TO sessionkeeper_worker;
