-- Late delivery failures change the outbox state. The webhook classifies a failed report's error code with the
-- same lists as the worker's send errors (runner/senders/classify.py) and passes the verdict to
-- record_delivery_status, which keeps it on the stored event (provider_events.retryable): a report stored before
-- the worker recorded the send is applied later by apply_delivery_events with the verdict it arrived with.
--
-- record_delivery_status gains a last parameter p_retryable; CREATE OR REPLACE cannot add one, so the old
-- signature is dropped here and sql/ creates the new one (with its GRANT to the webhook role) in the same run.
-- Until then the webhook's calls fail and it answers 503, so the provider sends the report again later.

ALTER TABLE scheduling.provider_events ADD COLUMN retryable boolean NOT NULL DEFAULT FALSE;

COMMENT ON COLUMN scheduling.provider_events.retryable IS
'For a failed report: TRUE when its error code is one worth retrying (the webhook''s verdict, from the same code '
'lists as send errors), so the outbox row goes back to pending with the backoff; FALSE (always for other '
'statuses) leaves a sent row undelivered. Reports stored before this column existed are FALSE.';

-- An undelivered row was sent first. NOT VALID, then VALIDATE, as 0018 does (no row can be undelivered yet).
ALTER TABLE scheduling.reminders ADD CONSTRAINT reminders_undelivered_has_sent_at CHECK (
    state <> 'undelivered' OR sent_at IS NOT NULL
) NOT VALID;

ALTER TABLE scheduling.reminders VALIDATE CONSTRAINT reminders_undelivered_has_sent_at;

COMMENT ON CONSTRAINT reminders_undelivered_has_sent_at ON scheduling.reminders IS
'An undelivered row was sent (sent_at kept): only a delivery report of failure after the send makes one.';

DROP FUNCTION IF EXISTS scheduling.record_delivery_status(text, text, text, timestamptz, text, text, timestamptz);
