-- Halts that last: when the provider refuses the sender itself (an expired or invalid token, a locked or
-- suspended account), the worker records a halt for its sending number here instead of only stopping itself.
-- While the halt stands, take_send_tokens grants nothing for that number, so every worker sending as that
-- number stops claiming (workers on other numbers go on), a restarted worker sends nothing, and nobody spins.
-- A person lifts it with resume_sending (`sessionkeeper resume-sending NUMBER`) once the credentials are fixed.
--
-- Table added:
--   sender_halts  one row per halt of a sending number; at most one standing (not lifted) halt per number;
--                 lifted halts are kept as history
--
-- Errors added by this migration:
--   SK041  the sending number is not halted (resume_sending found no standing halt)
--   SK042  a halt lifted at a time before it was recorded
-- Reused: SK009 invalid value (blank number, code or worker id, NULL p_now), SK034 text too long.

CREATE TABLE scheduling.sender_halts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sending_number text NOT NULL,
    error_code text NOT NULL,
    error_message text,
    halted_at timestamptz NOT NULL,
    halted_by text NOT NULL,
    lifted_at timestamptz,
    lifted_by text,
    CONSTRAINT sender_halts_lifted_together CHECK ((lifted_at IS NULL) = (lifted_by IS NULL)),
    CONSTRAINT sender_halts_lifted_after_halted CHECK (lifted_at >= halted_at)
);

CREATE UNIQUE INDEX sender_halts_standing_idx ON scheduling.sender_halts (sending_number) WHERE lifted_at IS NULL;

COMMENT ON TABLE scheduling.sender_halts IS
'Halts of a sending number (the key of send_rate_limits, e.g. cloud_api:<phone-number-id> or twilio:+<number>): '
'the provider refused the sender itself (expired or invalid token, locked or suspended account), so nothing can '
'be sent as that number until a person fixes the credentials. A row whose lifted_at is NULL is a standing halt '
'(at most one per number, index sender_halts_standing_idx): take_send_tokens grants no tokens for the number '
'while it stands, so no worker claims rows for it. Recorded by halt_sending (the worker), lifted by '
'resume_sending (`sessionkeeper resume-sending NUMBER`); lifted rows stay as history. Read with sender_halt, '
'health and queue_stats.halted_senders.';

COMMENT ON COLUMN scheduling.sender_halts.sending_number IS
'The sending number halted, as the worker''s sender names it (cloud_api:<phone-number-id>, twilio:+<number>).';
COMMENT ON COLUMN scheduling.sender_halts.error_code IS
'The provider''s error code that halted it (e.g. 190 expired token, 131031 locked account, Twilio 20003).';
COMMENT ON COLUMN scheduling.sender_halts.error_message IS 'The provider''s error message, as the worker got it.';
COMMENT ON COLUMN scheduling.sender_halts.halted_at IS 'When the halt was recorded (the worker''s p_now).';
COMMENT ON COLUMN scheduling.sender_halts.halted_by IS 'The worker id that recorded the halt.';
COMMENT ON COLUMN scheduling.sender_halts.lifted_at IS 'When the halt was lifted; NULL while it stands.';
COMMENT ON COLUMN scheduling.sender_halts.lifted_by IS 'Who lifted the halt (resume_sending''s p_actor).';
