-- The capacity rule, as a constraint: a session never holds more confirmed bookings than its seats
-- (capacity 0 means unlimited). The functions that book (create_booking, enroll, book_next_available, the
-- waitlist promotion) already refuse a full session with SK012 or a waitlist place; this CHECK is the
-- backstop for every other path, a direct INSERT by an owner included, and it fails with 23514 naming it.
--
-- NOT VALID first, then VALIDATE: adding takes a brief exclusive lock; validating reads the table under a
-- lock that lets reads and writes go on. A database whose rows already break the rule stops here, naming
-- the constraint, with nothing changed.

ALTER TABLE scheduling.sessions ADD CONSTRAINT sessions_capacity_not_exceeded CHECK (
    capacity = 0 OR current_attendees <= capacity
) NOT VALID;

ALTER TABLE scheduling.sessions VALIDATE CONSTRAINT sessions_capacity_not_exceeded;

COMMENT ON CONSTRAINT sessions_capacity_not_exceeded ON scheduling.sessions IS
'Never more confirmed bookings than seats (capacity 0 = unlimited); the booking functions refuse earlier with '
'SK012 or a waitlist place, this is the backstop.';
