CREATE OR REPLACE FUNCTION scheduling_internal.lock_provider_message(p_provider_message_id text)
RETURNS void
LANGUAGE plpgsql
AS $function$
DECLARE
    -- First key of pg_advisory_xact_lock(integer, integer): 0x534B4456, "SKDV" in ASCII.
    c_lock_class CONSTANT integer := 1397441622;
BEGIN
    IF p_provider_message_id IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(c_lock_class, hashtext(p_provider_message_id));
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.lock_provider_message(text) IS
'Internal: takes the transaction advisory lock of one provider message id (key 0x534B4456 "SKDV" and the '
'id''s hashtext; nothing for NULL). record_delivery_status, record_reminder_sent and apply_delivery_events take '
'it before the reminder row lock, so a delivery report and the worker recording the send of the same message '
'serialise: the report is either matched to the reminder or stored and then applied by the worker, never lost.'
' Side effects: takes a transaction-scoped advisory lock on the message id; writes nothing.';
