-- What the reminder worker needs from the database.
--
-- Column reminders.uncertain: the row may have reached the provider more than once (a re-claim after an expired
-- lease, or a send that timed out; see claim_due_reminders and mark_reminder_uncertain).
-- Tables:
--   send_rate_limits   one token bucket per sending number, shared by every worker process (take_send_tokens,
--                      return_send_tokens, set_send_rate, seconds_until_send_tokens)
--   recipient_pacing   when the next message to a person may be claimed (WhatsApp error 131056, "pair rate
--                      limit"); written by claim_due_reminders
--   worker_settings    one row: recipient_spacing (default 6 s) between two claims for the same person
--   worker_heartbeats  one row per worker id (worker_heartbeat), read by health
-- Index reminders_failed_idx: failed rows by the time they failed (retry_failed_reminders, health).
--
-- Errors added by this migration (continuing 0003's SK010-SK019):
--   SK020  send rate out of range: messages_per_second must be more than 0 and at most 1000
--   SK021  unknown sending number: tokens given back for a number that never took any
-- Reused: SK009 invalid value (blank sending number, worker id or actor, a negative or NULL token count,
-- heartbeat counts not a JSON object of non-negative integers, NULL p_now), SK017 invalid interval (health
-- thresholds not positive), SK018 stale or wrong attempt token, SK019 reminder not found.

ALTER TABLE scheduling.reminders ADD COLUMN uncertain boolean NOT NULL DEFAULT FALSE;

COMMENT ON COLUMN scheduling.reminders.uncertain IS
'This row may have reached the provider more than once: it was claimed again after a lease expired (the '
'worker that held it may have sent it before dying), or a send timed out (mark_reminder_uncertain). Never '
'cleared; counted by queue_stats.uncertain.';

CREATE INDEX reminders_failed_idx ON scheduling.reminders (updated_at) WHERE state = 'failed';

CREATE TABLE scheduling.send_rate_limits (
    sending_number text PRIMARY KEY,
    messages_per_second numeric NOT NULL DEFAULT 80,
    tokens numeric NOT NULL,
    refilled_at timestamptz NOT NULL,
    CONSTRAINT send_rate_limits_rate_range CHECK (messages_per_second > 0 AND messages_per_second <= 1000),
    CONSTRAINT send_rate_limits_tokens_not_negative CHECK (tokens >= 0)
);

COMMENT ON TABLE scheduling.send_rate_limits IS
'Token bucket per sending number (e.g. cloud_api:<phone-number-id>), shared by all worker processes: holds '
'tokens as of refilled_at, refills at messages_per_second (default 80, Meta''s default; at most 1000) up to a '
'capacity of one second of sending, greatest(messages_per_second, 1). Created full at first use. Use '
'take_send_tokens, return_send_tokens, set_send_rate, seconds_until_send_tokens.';

CREATE TABLE scheduling.recipient_pacing (
    person_id uuid PRIMARY KEY,
    next_allowed_at timestamptz NOT NULL,
    CONSTRAINT recipient_pacing_person_id_fkey FOREIGN KEY (person_id) REFERENCES scheduling.people (id)
);

COMMENT ON TABLE scheduling.recipient_pacing IS
'When a message to a person may next be claimed (WhatsApp error 131056, pair rate limit): set to p_now + '
'worker_settings.recipient_spacing by claim_due_reminders for every row it claims; rows of a person whose '
'next_allowed_at is later than p_now stay pending, untouched.';

CREATE TABLE scheduling.worker_settings (
    singleton boolean PRIMARY KEY DEFAULT TRUE,
    recipient_spacing interval NOT NULL DEFAULT '6 seconds',
    CONSTRAINT worker_settings_singleton CHECK (singleton),
    CONSTRAINT worker_settings_recipient_spacing_not_negative CHECK (recipient_spacing >= interval '0')
);

COMMENT ON TABLE scheduling.worker_settings IS
'One row of settings for the reminder worker. recipient_spacing: the least time between two claims of '
'messages to the same person (default 6 s, about what WhatsApp allows before error 131056; 0 = no spacing).';

INSERT INTO scheduling.worker_settings (singleton) VALUES (TRUE);

CREATE TABLE scheduling.worker_heartbeats (
    worker_id text PRIMARY KEY,
    sender text NOT NULL,
    started_at timestamptz NOT NULL,
    beat_at timestamptz NOT NULL,
    sent bigint,
    retried bigint,
    failed bigint,
    released bigint,
    stopped_at timestamptz
);

COMMENT ON TABLE scheduling.worker_heartbeats IS
'One row per worker id, written by worker_heartbeat: the sender it uses, when it started (this run), its last '
'beat, its counters since it started, and stopped_at when it stopped cleanly. Read by health.';
