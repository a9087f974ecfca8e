CREATE OR REPLACE FUNCTION scheduling.resume_sending(
    p_sending_number text,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS scheduling.sender_halts
LANGUAGE plpgsql
AS $function$
DECLARE
    v_halt scheduling.sender_halts;
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('resume_sending', p_actor, p_now);
    IF p_actor IS NULL OR btrim(p_actor) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'resume_sending: p_actor must not be blank';
    END IF;
    PERFORM scheduling_internal.check_text_length('resume_sending: p_sending_number', p_sending_number, 'name');

    SELECT h.*
    INTO v_halt
    FROM scheduling.sender_halts AS h
    WHERE h.sending_number = p_sending_number AND h.lifted_at IS NULL
    FOR UPDATE;

    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK041',
            MESSAGE = format('resume_sending: sending number %s is not halted', coalesce(p_sending_number, 'NULL'));
    END IF;
    IF p_now < v_halt.halted_at THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK042',
            MESSAGE = format(
                'resume_sending: p_now %s is before the halt of %s was recorded (%s)',
                p_now, p_sending_number, v_halt.halted_at
            );
    END IF;

    UPDATE scheduling.sender_halts AS h
    SET lifted_at = p_now, lifted_by = p_actor
    WHERE h.id = v_halt.id
    RETURNING h.* INTO v_halt;

    -- Idle workers of that number sleep until woken: they claim again at once.
    PERFORM pg_notify('scheduling_reminders_due', p_now::text);
    RETURN v_halt;
END;
$function$;

COMMENT ON FUNCTION scheduling.resume_sending(text, text, timestamptz) IS
'Lifts the standing halt of p_sending_number (see sender_halts, halt_sending) once a person has fixed the '
'sender''s credentials: sets lifted_at = p_now and lifted_by = p_actor, keeps the row as history, and returns it. '
'take_send_tokens grants tokens for the number again at once. For operators (`sessionkeeper resume-sending '
'NUMBER`); granted to no group role. Errors: SK041 the number is not halted (nothing changes), SK042 p_now before '
'the halt was recorded, SK009 blank actor, NULL p_now.'
' Input limits: SK034 number or actor over 200 characters.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates the scheduling.sender_halts row; NOTIFY scheduling_reminders_due (wakes idle workers).';
