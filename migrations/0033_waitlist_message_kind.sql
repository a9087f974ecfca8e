-- The message that a waitlisted person got a seat becomes an outbox kind of its own, `waitlist`, instead of a
-- `reminder` with seq 0, so that reports, the CLI and the worker can tell it apart. PostgreSQL refuses to use an
-- enum value in the transaction that adds it, so this migration only adds the value; 0034 and sql/ use it.

ALTER TYPE scheduling.reminder_kind ADD VALUE 'waitlist' AFTER 'cancellation';

COMMENT ON TYPE scheduling.reminder_kind IS
'What an outbox row sends: a reminder before the session, the message that a booking or session was cancelled, '
'or waitlist: the message that a seat freed up and the person was booked from the waitlist.';
