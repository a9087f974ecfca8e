-- SECURITY DEFINER: the worker holds no table privileges; this is one of the few outbox calls it may make.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.record_reminder_outcomes(
    p_outcomes jsonb,
    p_now timestamptz DEFAULT now()
)
RETURNS TABLE (
    ordinal integer,
    reminder_id uuid,
    state scheduling.reminder_state,
    refused_code text,
    refused_message text
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    -- The keys each outcome takes, with the JSON type of their value ('uuid': a string holding one;
    -- 'string?': a string or null). The first three are required, and the one after them for each outcome.
    c_keys CONSTANT jsonb := '{
        "sent": {"reminder_id": "uuid", "attempt_token": "uuid", "outcome": "string",
                 "provider_message_id": "string?"},
        "failed": {"reminder_id": "uuid", "attempt_token": "uuid", "outcome": "string", "retryable": "boolean",
                   "error_code": "string?", "error_message": "string?", "uncertain": "boolean"}
    }';
    c_required CONSTANT jsonb := '{
        "sent": ["reminder_id", "attempt_token", "outcome", "provider_message_id"],
        "failed": ["reminder_id", "attempt_token", "outcome", "retryable"]
    }';
    c_uuid CONSTANT text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
    v_entry jsonb;
    v_ordinal integer;
    v_kind text;
    v_key text;
    v_type text;
    v_problem text;
BEGIN
    PERFORM scheduling_internal.check_now('record_reminder_outcomes', p_now);
    IF p_outcomes IS NULL OR jsonb_typeof(p_outcomes) <> 'array' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK065',
            MESSAGE = format(
                'record_reminder_outcomes: p_outcomes must be a JSON array of objects, not %s',
                coalesce(jsonb_typeof(p_outcomes), 'NULL')
            );
    END IF;

    -- Every entry is checked before any is recorded: a malformed batch records nothing.
    FOR v_entry, v_ordinal IN SELECT e.value, e.ordinality::integer FROM jsonb_array_elements(p_outcomes) WITH ORDINALITY AS e
    LOOP
        IF jsonb_typeof(v_entry) <> 'object' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK065',
                MESSAGE = format(
                    'record_reminder_outcomes: entry %s is a JSON %s, not an object', v_ordinal, jsonb_typeof(v_entry)
                );
        END IF;
        v_kind := v_entry ->> 'outcome';
        IF NOT (v_entry ? 'outcome') THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK066', MESSAGE = format('record_reminder_outcomes: entry %s has no "outcome"', v_ordinal);
        ELSIF jsonb_typeof(v_entry -> 'outcome') <> 'string' OR NOT (c_keys ? v_kind) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK067',
                MESSAGE = format(
                    'record_reminder_outcomes: entry %s: "outcome" must be "sent" or "failed", not %s',
                    v_ordinal, left((v_entry -> 'outcome')::text, 40)
                );
        END IF;
        FOR v_key IN SELECT k.name FROM jsonb_array_elements_text(c_required -> v_kind) AS k (name)
        LOOP
            IF NOT (v_entry ? v_key) THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'SK066',
                    MESSAGE = format(
                        'record_reminder_outcomes: entry %s (%s) has no "%s"', v_ordinal, v_kind, v_key
                    );
            END IF;
        END LOOP;
        FOR v_key IN SELECT k.name FROM jsonb_object_keys(v_entry) AS k (name)
        LOOP
            v_type := c_keys -> v_kind ->> v_key;
            IF v_type IS NULL THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'SK066',
                    MESSAGE = format(
                        'record_reminder_outcomes: entry %s (%s) has an unknown key "%s"; known: %s',
                        v_ordinal, v_kind, left(v_key, 40),
                        (SELECT string_agg(k.name, ', ') FROM jsonb_object_keys(c_keys -> v_kind) AS k (name))
                    );
            END IF;
            v_problem := CASE
                WHEN v_type = 'string?' AND jsonb_typeof(v_entry -> v_key) IN ('string', 'null') THEN NULL
                WHEN v_type = 'uuid' AND jsonb_typeof(v_entry -> v_key) = 'string' AND v_entry ->> v_key ~ c_uuid
                    THEN NULL
                WHEN v_type = jsonb_typeof(v_entry -> v_key) THEN NULL
                ELSE format('must be %s', CASE v_type WHEN 'string?' THEN 'a string or null' ELSE 'a ' || v_type END)
            END;
            IF v_problem IS NOT NULL THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'SK067',
                    MESSAGE = format(
                        'record_reminder_outcomes: entry %s: "%s" %s, not %s',
                        v_ordinal, v_key, v_problem, left((v_entry -> v_key)::text, 40)
                    );
            END IF;
        END LOOP;
    END LOOP;
    SELECT min(e.ordinality) INTO v_ordinal
    FROM jsonb_array_elements(p_outcomes) WITH ORDINALITY AS e
    WHERE EXISTS (
        SELECT 1 FROM jsonb_array_elements(p_outcomes) WITH ORDINALITY AS f
        WHERE f.value ->> 'reminder_id' = e.value ->> 'reminder_id' AND f.ordinality < e.ordinality
    );
    IF v_ordinal IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK067',
            MESSAGE = format(
                'record_reminder_outcomes: entry %s names reminder %s again: one outcome per reminder',
                v_ordinal, p_outcomes -> (v_ordinal - 1) ->> 'reminder_id'
            );
    END IF;

    -- Each row by the rules of record_reminder_sent and record_reminder_failure, in reminder id order (two
    -- batches touching the same rows lock them in the same order). What the per-row rules refuse (a stale
    -- attempt token, an unknown reminder, a text too long) refuses that row only: its verdict says why.
    FOR v_entry, v_ordinal IN
        SELECT e.value, e.ordinality::integer
        FROM jsonb_array_elements(p_outcomes) WITH ORDINALITY AS e
        ORDER BY (e.value ->> 'reminder_id')::uuid
    LOOP
        ordinal := v_ordinal;
        reminder_id := (v_entry ->> 'reminder_id')::uuid;
        state := NULL;
        refused_code := NULL;
        refused_message := NULL;
        BEGIN
            IF v_entry ->> 'outcome' = 'sent' THEN
                state := scheduling.record_reminder_sent(
                    reminder_id, (v_entry ->> 'attempt_token')::uuid, v_entry ->> 'provider_message_id', p_now
                );
            ELSE
                IF coalesce((v_entry ->> 'uncertain')::boolean, FALSE) THEN
                    PERFORM scheduling.mark_reminder_uncertain(reminder_id, (v_entry ->> 'attempt_token')::uuid);
                END IF;
                state := scheduling.record_reminder_failure(
                    reminder_id,
                    (v_entry ->> 'attempt_token')::uuid,
                    v_entry ->> 'error_code',
                    v_entry ->> 'error_message',
                    (v_entry ->> 'retryable')::boolean,
                    p_now
                );
            END IF;
        EXCEPTION WHEN SQLSTATE 'SK018' OR SQLSTATE 'SK019' OR SQLSTATE 'SK034' OR SQLSTATE 'SK036' THEN
            GET STACKED DIAGNOSTICS refused_code = RETURNED_SQLSTATE, refused_message = MESSAGE_TEXT;
        END;
        RETURN NEXT;
    END LOOP;
END;
$function$;

COMMENT ON FUNCTION scheduling.record_reminder_outcomes(jsonb, timestamptz) IS
'The worker''s batch of outcomes in one call: p_outcomes is a JSON array of objects, each '
'{"reminder_id", "attempt_token", "outcome": "sent", "provider_message_id" (a string or null)} or '
'{"reminder_id", "attempt_token", '
'"outcome": "failed", "retryable": boolean, "error_code" and "error_message" (strings or null), optionally '
'"uncertain": true (the send may have reached the recipient: mark_reminder_uncertain first)}. Each entry is recorded '
'by the rules of record_reminder_sent or record_reminder_failure at p_now, and one row is returned per entry, '
'ordinal = its position (from 1): state = the state the row ends in, or, when the row was refused (SK018 stale or '
'wrong attempt token, row not leased; SK019 unknown reminder; SK034 error code over 200 characters or message over '
'2000; SK036 provider id over 200 characters), state NULL with refused_code and refused_message, that row '
'unchanged and the others recorded. Errors (the whole batch, nothing recorded): SK065 p_outcomes NULL '
'or not a JSON array, or an entry not an object; SK066 an entry without one of its required keys or with a key '
'its outcome does not take; SK067 a value of the wrong type (ids not uuids, "outcome" neither "sent" nor '
'"failed", "retryable" or "uncertain" not booleans, texts not strings) or the same reminder twice.'
' Input limits: SK009 p_now NULL or infinite.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: those of record_reminder_sent, record_reminder_failure and mark_reminder_uncertain for each '
'entry recorded: updates scheduling.reminders, with reminder_state_history rows (trigger reminders_history), '
'takes provider message advisory locks and applies delivery reports stored before (apply_delivery_events).';

GRANT EXECUTE ON FUNCTION scheduling.record_reminder_outcomes(jsonb, timestamptz) TO sessionkeeper_worker;
