-- SECURITY DEFINER: the worker holds no table privileges; this is one of the few outbox calls it may make.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.halt_sending(
    p_sending_number text,
    p_error_code text,
    p_error_message text,
    p_worker_id text,
    p_now timestamptz DEFAULT now()
)
RETURNS scheduling.sender_halts
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_halt scheduling.sender_halts;
BEGIN
    PERFORM scheduling_internal.check_now('halt_sending', p_now);
    IF p_sending_number IS NULL OR btrim(p_sending_number) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'halt_sending: the sending number must not be blank';
    END IF;
    IF p_error_code IS NULL OR btrim(p_error_code) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'halt_sending: the error code must not be blank';
    END IF;
    IF p_worker_id IS NULL OR btrim(p_worker_id) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'halt_sending: the worker id must not be blank';
    END IF;
    PERFORM scheduling_internal.check_text_length('halt_sending: p_sending_number', p_sending_number, 'name');
    PERFORM scheduling_internal.check_text_length('halt_sending: p_error_code', p_error_code, 'name');
    PERFORM scheduling_internal.check_text_length('halt_sending: p_error_message', p_error_message, 'free_text');
    PERFORM scheduling_internal.check_text_length('halt_sending: p_worker_id', p_worker_id, 'name');

    -- Several workers meeting the same refusal at once: the first one records it, the others get that one.
    INSERT INTO scheduling.sender_halts AS h (sending_number, error_code, error_message, halted_at, halted_by)
    VALUES (p_sending_number, p_error_code, p_error_message, p_now, p_worker_id)
    ON CONFLICT (sending_number) WHERE lifted_at IS NULL DO NOTHING
    RETURNING h.* INTO v_halt;

    IF v_halt.id IS NULL THEN
        SELECT h.*
        INTO STRICT v_halt
        FROM scheduling.sender_halts AS h
        WHERE h.sending_number = p_sending_number AND h.lifted_at IS NULL;
    END IF;
    RETURN v_halt;
END;
$function$;

COMMENT ON FUNCTION scheduling.halt_sending(text, text, text, text, timestamptz) IS
'Records that the provider refused the sender itself for p_sending_number (expired or invalid token, locked or '
'suspended account): a standing halt in sender_halts with the provider''s code and message, the worker and '
'p_now. While it stands take_send_tokens grants nothing for that number, so no worker claims rows for it, and '
'seconds_until_send_tokens answers Infinity. Idempotent: when a halt already stands for the number it is '
'returned unchanged (the first refusal is kept). Returns the standing halt. Lifted by resume_sending. Errors: '
'SK009 blank number, error code or worker id, NULL p_now.'
' Input limits: SK034 number, code or worker id over 200 characters, message over 2000.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts a scheduling.sender_halts row when no halt stands for the number.';

GRANT EXECUTE ON FUNCTION scheduling.halt_sending(text, text, text, text, timestamptz) TO sessionkeeper_worker;
