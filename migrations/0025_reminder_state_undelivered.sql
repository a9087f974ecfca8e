-- A message the provider accepted but later reported as not delivered (a late delivery report of failure, after the
-- send was recorded) gets an outbox state of its own, `undelivered`, so that `WHERE state = 'sent'` and
-- queue_stats.completed no longer count it as sent. PostgreSQL refuses to use an enum value in the transaction that
-- adds it, so this migration only adds the value; 0026 adds what uses it.

ALTER TYPE scheduling.reminder_state ADD VALUE 'undelivered' AFTER 'sent';

COMMENT ON TYPE scheduling.reminder_state IS
'State of an outbox row: pending (waits for next_attempt_at), leased (claimed by a worker until lease_expires_at), '
'sent, undelivered (sent, then the provider reported a final delivery failure: delivery_error_code and '
'delivery_error_message say which), failed (permanent error or retries exhausted), cancelled (its booking or '
'session changed), skipped (claim-time re-check failed, or quiet hours left no time before the start), expired '
'(its deadline passed before it could be sent).';
