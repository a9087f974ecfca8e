-- The schema that holds every table, function and view of sessionkeeper.
-- Apps use the views and functions in it; they never write its tables directly.
CREATE SCHEMA IF NOT EXISTS scheduling;

COMMENT ON SCHEMA scheduling IS
'sessionkeeper: scheduled sessions, bookings, recurring templates, workshops and the reminder outbox.';

-- PUBLIC is the role keyword, not an identifier.
REVOKE ALL ON SCHEMA scheduling FROM PUBLIC; -- noqa: CP02
