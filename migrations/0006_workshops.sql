-- Workshops, runs, multi-day sessions, enrollments with a waitlist, order items.
--
-- Tables: workshops (title, default_capacity with 0 = unlimited, is_active, time_zone, reminder policy),
-- workshop_runs (a run of a workshop: run_name, start_date, end_date, status), waitlist_entries (people waiting
-- for a seat in a full session, first come first served), order_items (an order's line pointing at the
-- workshop, run, session, person and booking; orders themselves live elsewhere: order_reference).
-- Columns: sessions.workshop_run_id + day_number (Day 1, Day 2 ... UNIQUE per run), sessions.current_attendees
-- (the confirmed bookings of the session, kept by trigger bookings_track_attendees; never
-- written by apps). The archive table sessions_archive gets the same columns.
--
-- Enrollment (enroll, book_next_available) goes through create_booking, so the session row lock of trigger
-- bookings_validate serialises it and reminders are planned. A full session puts the person on the waitlist
-- (or raises SK012); a cancelled booking frees its seat and the first waiting person is booked and gets the
-- message template 'waitlist_promoted' queued in the reminder outbox.
--
-- Errors added by this migration (continuing 0005's SK027):
--   SK028  workshop not found
--   SK029  workshop run not found
--   SK030  nothing to clone: the workshop (or the chosen run) has no sessions
--   SK031  date in the past: cloning to a start date (or a session start) before p_now
--   SK032  no session available: every session of the workshop is full, cancelled or past (or it is inactive)
--   SK033  day number already taken in the run, or not positive
-- Reused: SK001/SK002/SK003 unknown, deleted or not scheduled session, SK005 unknown time zone, SK007 unknown
-- person, SK008 enrolling in a session that has already started, SK009 invalid value (blank title, negative
-- capacity), SK011 already booked or waitlisted in the session, SK012 full, SK016 unknown reminder policy.

CREATE TABLE scheduling.workshops (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    host_id uuid NOT NULL,
    title text NOT NULL,
    description text,
    default_capacity integer NOT NULL DEFAULT 0,
    is_active boolean NOT NULL DEFAULT TRUE,
    time_zone text NOT NULL,
    reminder_policy_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workshops_host_id_fkey FOREIGN KEY (host_id) REFERENCES scheduling.people (id),
    CONSTRAINT workshops_time_zone_fkey FOREIGN KEY (time_zone) REFERENCES scheduling.time_zones (name),
    CONSTRAINT workshops_reminder_policy_id_fkey FOREIGN KEY (reminder_policy_id)
    REFERENCES scheduling.reminder_policies (id),
    CONSTRAINT workshops_title_not_blank CHECK (btrim(title) <> ''),
    CONSTRAINT workshops_default_capacity_not_negative CHECK (default_capacity >= 0)
);

COMMENT ON TABLE scheduling.workshops IS
'A workshop: sessions grouped into runs. default_capacity is the seats of each new session '
'(0 = unlimited); time_zone is where its local times (and DST) are kept when a run is cloned; '
'reminder_policy_id applies to its sessions (NULL = ''default''). Write through create_workshop.';

CREATE TABLE scheduling.workshop_runs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workshop_id uuid NOT NULL,
    run_name text NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    status text NOT NULL DEFAULT 'scheduled',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workshop_runs_workshop_id_fkey FOREIGN KEY (workshop_id) REFERENCES scheduling.workshops (id),
    CONSTRAINT workshop_runs_run_name_not_blank CHECK (btrim(run_name) <> ''),
    CONSTRAINT workshop_runs_dates_ordered CHECK (end_date >= start_date),
    CONSTRAINT workshop_runs_status_known CHECK (status IN ('scheduled', 'cancelled'))
);

COMMENT ON TABLE scheduling.workshop_runs IS
'One run of a workshop (for example "July 2025 Batch"): its sessions are Day 1, Day 2 ... start_date and '
'end_date are the local dates (workshop zone) of its first and last session, kept by add_workshop_session '
'and clone_workshop_sessions. Derived state: view workshop_run_summary.';

CREATE INDEX workshop_runs_workshop_id_idx ON scheduling.workshop_runs (workshop_id, start_date);

ALTER TABLE scheduling.sessions ADD COLUMN workshop_run_id uuid;

ALTER TABLE scheduling.sessions ADD COLUMN day_number integer;

ALTER TABLE scheduling.sessions ADD COLUMN current_attendees integer NOT NULL DEFAULT 0;

ALTER TABLE scheduling.sessions ADD CONSTRAINT sessions_workshop_run_id_fkey
FOREIGN KEY (workshop_run_id) REFERENCES scheduling.workshop_runs (id);

ALTER TABLE scheduling.sessions ADD CONSTRAINT sessions_run_day_key UNIQUE (workshop_run_id, day_number);

ALTER TABLE scheduling.sessions ADD CONSTRAINT sessions_run_has_day CHECK (
    (workshop_run_id IS NULL) = (day_number IS NULL) AND (day_number IS NULL OR day_number >= 1)
);

ALTER TABLE scheduling.sessions ADD CONSTRAINT sessions_current_attendees_not_negative CHECK (
    current_attendees >= 0
);

COMMENT ON COLUMN scheduling.sessions.workshop_run_id IS
'The workshop run the session belongs to (NULL for a session outside workshops).';

COMMENT ON COLUMN scheduling.sessions.day_number IS
'Day 1, Day 2 ... of the session in its workshop run; unique per run.';

COMMENT ON COLUMN scheduling.sessions.current_attendees IS
'Confirmed bookings of the session, kept by trigger bookings_track_attendees; never written by apps.';

ALTER TABLE scheduling.sessions_archive ADD COLUMN workshop_run_id uuid;

ALTER TABLE scheduling.sessions_archive ADD COLUMN day_number integer;

ALTER TABLE scheduling.sessions_archive ADD COLUMN current_attendees integer NOT NULL DEFAULT 0;

UPDATE scheduling.sessions AS s
SET current_attendees = c.n
FROM (
    SELECT
        b.session_id,
        count(*)::integer AS n
    FROM scheduling.bookings AS b
    WHERE b.status = 'confirmed'
    GROUP BY b.session_id
) AS c
WHERE s.id = c.session_id AND s.deleted_at IS NULL;

CREATE TABLE scheduling.waitlist_entries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id uuid NOT NULL,
    person_id uuid NOT NULL,
    order_reference text,
    status text NOT NULL DEFAULT 'waiting',
    booking_id uuid,
    created_at timestamptz NOT NULL,
    promoted_at timestamptz,
    CONSTRAINT waitlist_entries_session_id_fkey FOREIGN KEY (session_id)
    REFERENCES scheduling.sessions (id) ON DELETE CASCADE,
    CONSTRAINT waitlist_entries_person_id_fkey FOREIGN KEY (person_id) REFERENCES scheduling.people (id),
    CONSTRAINT waitlist_entries_booking_id_fkey FOREIGN KEY (booking_id)
    REFERENCES scheduling.bookings (id) ON DELETE SET NULL,
    CONSTRAINT waitlist_entries_status_known CHECK (status IN ('waiting', 'promoted', 'cancelled')),
    CONSTRAINT waitlist_entries_promoted_has_time CHECK ((status = 'promoted') = (promoted_at IS NOT NULL))
);

COMMENT ON TABLE scheduling.waitlist_entries IS
'People waiting for a seat in a full session, served in id order: when a confirmed booking is cancelled, '
'the first waiting entry is booked (status promoted, booking_id set) and its WhatsApp message queued. Written '
'by enroll and the attendee trigger only.';

CREATE UNIQUE INDEX waitlist_entries_waiting_key ON scheduling.waitlist_entries (session_id, person_id)
WHERE status = 'waiting';

CREATE INDEX waitlist_entries_queue_idx ON scheduling.waitlist_entries (session_id, id) WHERE status = 'waiting';

CREATE TABLE scheduling.order_items (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_reference text NOT NULL,
    workshop_id uuid,
    session_id uuid,
    run_id uuid,
    person_id uuid NOT NULL,
    booking_id uuid,
    waitlist_entry_id bigint,
    created_at timestamptz NOT NULL,
    CONSTRAINT order_items_workshop_id_fkey FOREIGN KEY (workshop_id)
    REFERENCES scheduling.workshops (id) ON DELETE SET NULL,
    CONSTRAINT order_items_session_id_fkey FOREIGN KEY (session_id)
    REFERENCES scheduling.sessions (id) ON DELETE SET NULL,
    CONSTRAINT order_items_run_id_fkey FOREIGN KEY (run_id)
    REFERENCES scheduling.workshop_runs (id) ON DELETE SET NULL,
    CONSTRAINT order_items_person_id_fkey FOREIGN KEY (person_id) REFERENCES scheduling.people (id),
    CONSTRAINT order_items_booking_id_fkey FOREIGN KEY (booking_id)
    REFERENCES scheduling.bookings (id) ON DELETE SET NULL,
    CONSTRAINT order_items_waitlist_entry_id_fkey FOREIGN KEY (waitlist_entry_id)
    REFERENCES scheduling.waitlist_entries (id) ON DELETE SET NULL,
    CONSTRAINT order_items_order_reference_not_blank CHECK (btrim(order_reference) <> '')
);

COMMENT ON TABLE scheduling.order_items IS
'Order items: one line per session an order enrolled a person in (or waitlisted them for), '
'carrying workshop, run and session. Orders live elsewhere: order_reference. Written by enroll and '
'book_next_available when they get an order reference.';

CREATE INDEX order_items_order_reference_idx ON scheduling.order_items (order_reference);

INSERT INTO scheduling.message_templates (name, language, body, parameter_names, whatsapp_template_name)
VALUES (
    'waitlist_promoted', 'en',
    E'Hello {customer_name}! A seat has freed up: you are now booked for "{service}" with {host_name} on '
    || E'{date_time}.',
    '{customer_name,service,host_name,date_time}', 'waitlist_promoted'
);
