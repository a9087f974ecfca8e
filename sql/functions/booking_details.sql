-- SECURITY DEFINER: apps hold no privilege on the bookings table; this is how the HTTP API reads one booking
-- whole. search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.booking_details(p_booking_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
-- VOLATILE although it writes nothing: a STABLE function sees the snapshot its calling statement started with,
-- so booking_details(create_booking(...)) would not find the booking the inner call just made.
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_details jsonb;
BEGIN
    SELECT
        jsonb_build_object(
            'booking', jsonb_build_object(
                'id', b.id,
                'session_id', b.session_id,
                'person_id', b.person_id,
                'status', b.status,
                'order_reference', b.order_reference,
                'booked_slot_version', b.booked_slot_version,
                'created_at', b.created_at,
                'cancelled_at', b.cancelled_at,
                'cancel_reason', b.cancel_reason,
                'updated_at', b.updated_at
            ),
            'session', (
                SELECT to_jsonb(a.*)
                FROM scheduling.session_availability AS a
                WHERE a.session_id = b.session_id
            ),
            'reminders', coalesce(
                (
                    SELECT
                        jsonb_agg(
                            jsonb_build_object(
                                'reminder_key', r.reminder_key,
                                'kind', r.kind,
                                'state', r.state,
                                'due_at', r.due_at,
                                'next_attempt_at', r.next_attempt_at,
                                'attempts', r.attempts,
                                'last_error', r.last_error,
                                'delivery_status', r.delivery_status,
                                'sent_at', r.sent_at,
                                'delivered_at', r.delivered_at,
                                'read_at', r.read_at,
                                'state_reason', r.state_reason,
                                'uncertain', r.uncertain
                            )
                            ORDER BY r.due_at, r.reminder_key
                        )
                    FROM scheduling.reminder_status AS r
                    WHERE r.booking_id = b.id
                ),
                '[]'::jsonb
            )
        )
    INTO v_details
    FROM scheduling.bookings AS b
    WHERE b.id = p_booking_id;

    IF v_details IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK010', MESSAGE = format('booking %s not found', coalesce(p_booking_id::text, 'NULL'));
    END IF;
    RETURN v_details;
END;
$function$;

COMMENT ON FUNCTION scheduling.booking_details(uuid) IS
'One booking as the HTTP API shows it, as one JSON object: {"booking": {"id", "session_id", "person_id", '
'"status", "order_reference", "booked_slot_version", "created_at", "cancelled_at", "cancel_reason", '
'"updated_at"}, "session": the session_availability row of its session as an object (null once the session is '
'deleted), "reminders": [{"reminder_key", "kind", "state", "due_at", "next_attempt_at", "attempts", '
'"last_error", "delivery_status", "sent_at", "delivered_at", "read_at", "state_reason", "uncertain"}, ...] '
'from reminder_status, ordered by due_at and reminder_key ([] when there are none)}. Times are ISO 8601 in the '
'session''s TimeZone setting. VOLATILE, so that booking_details(create_booking(...)) sees the booking made in the '
'same statement. Errors: SK010 booking not found (unknown or NULL id).'
' Side effects: none.';

GRANT EXECUTE ON FUNCTION scheduling.booking_details(uuid) TO sessionkeeper_app;
