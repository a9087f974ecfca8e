CREATE OR REPLACE VIEW scheduling.queue_stats AS
SELECT
    (count(*) FILTER (WHERE r.state = 'pending' AND r.next_attempt_at <= now()))::integer AS waiting,
    (count(*) FILTER (WHERE r.state = 'pending' AND r.next_attempt_at > now()))::integer AS delayed, -- noqa: RF04
    (count(*) FILTER (WHERE r.state = 'leased'))::integer AS active,
    (count(*) FILTER (WHERE r.state = 'sent'))::integer AS completed,
    (count(*) FILTER (WHERE r.state = 'failed'))::integer AS failed,
    (count(*) FILTER (WHERE r.state = 'cancelled'))::integer AS cancelled,
    (count(*) FILTER (WHERE r.state = 'skipped'))::integer AS skipped,
    (count(*) FILTER (WHERE r.state = 'expired'))::integer AS expired,
    now() - min(
        CASE
            WHEN r.state = 'pending' AND r.next_attempt_at <= now() THEN r.next_attempt_at
            WHEN r.state = 'leased' AND r.lease_expires_at <= now() THEN r.lease_expires_at
        END
    ) AS oldest_due_age,
    (count(*) FILTER (WHERE r.uncertain))::integer AS uncertain,
    (count(*) FILTER (WHERE r.state = 'undelivered'))::integer AS undelivered,
    (
        SELECT coalesce(array_agg(h.sending_number ORDER BY h.sending_number), '{}'::text [])
        FROM scheduling.sender_halts AS h
        WHERE h.lifted_at IS NULL
    ) AS halted_senders
FROM scheduling.reminders AS r;

COMMENT ON VIEW scheduling.queue_stats IS
'One row about the outbox at now() (queue statistics): waiting = pending and due, delayed = '
'pending and due later, active = leased, completed = sent, failed, cancelled, skipped, expired, and '
'oldest_due_age = how long the oldest due row (pending, or leased with an expired lease) has waited '
'(NULL when none), uncertain = rows that may have reached the provider more than once, or were sent after they '
'were closed (any state), undelivered = sent, then reported not delivered with a final error (not counted as '
'completed), halted_senders = the sending numbers with a standing halt (sender_halts; nothing is sent as them '
'until resume_sending).';

GRANT SELECT ON scheduling.queue_stats TO sessionkeeper_app;
