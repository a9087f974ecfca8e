-- Generating sessions from templates: idempotence, inheritance, exceptions, edits and pauses that keep
-- booked occurrences, one failing template among many, activation, closing and the archive.
BEGIN;
SELECT plan(33);

CREATE FUNCTION pg_temp.live(p_tag text, p_date date) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT count(*)::integer FROM scheduling.sessions AS s
    WHERE
        s.template_id = tap.sid(p_tag) AND s.deleted_at IS NULL
        AND (s.starts_at AT TIME ZONE s.time_zone)::date = p_date
$$;

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hana Host', '+4915112345678', 'Europe/Berlin')),
('ann', scheduling.create_person('Ann', '+4915112345679', 'Europe/Berlin', TRUE)),
('gone', scheduling.create_person('Gone Host', NULL, 'Europe/Berlin'));
INSERT INTO tap.ids VALUES (
    'class', scheduling.create_template(
        tap.sid('host'), 'Evening class', 'FREQ=WEEKLY;BYDAY=MO,WE,FR', '2026-06-01', '18:00', '90 minutes',
        'Europe/Berlin', 5, 'host_started', 'every_2_hours'
    )
);

-- Generation and idempotence.
CREATE TEMP TABLE t_first AS
SELECT * FROM scheduling.generate_recurring_sessions(tap.sid('class'), 14, '2026-06-01 08:00+00');
SELECT is(
    (SELECT array_agg(occurrence_date ORDER BY occurrence_date) FROM t_first),
    '{2026-06-01,2026-06-03,2026-06-05,2026-06-08,2026-06-10,2026-06-12,2026-06-15}'::date [],
    'the next 14 days are generated, today included'
);
SELECT ok(
    (
        SELECT
            bool_and(
                s.capacity = 5 AND s.start_mode = 'host_started' AND s.title = 'Evening class'
                AND s.time_zone = 'Europe/Berlin'
                AND s.reminder_policy_id = (
                    SELECT rp.id FROM scheduling.reminder_policies AS rp
                    WHERE rp.name = 'every_2_hours'
                )
                AND (s.starts_at AT TIME ZONE 'Europe/Berlin')::time = '18:00'
                AND s.ends_at - s.starts_at = '90 minutes'::interval
            )
        FROM scheduling.sessions AS s
        WHERE s.template_id = tap.sid('class')
    ),
    'generated sessions inherit title, capacity, start mode, reminder policy, zone, local time and duration'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.session_status_history AS h
        INNER JOIN t_first AS f ON h.session_id = f.session_id
        WHERE h.from_status IS NULL AND h.to_status = 'scheduled'
    ),
    7, 'each generated session has its creation history row'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.recurring_session_logs
        WHERE template_id = tap.sid('class') AND action = 'generated'
    ),
    7, 'each generated session is logged'
);
SELECT is(
    (
        SELECT generated_until FROM scheduling.session_templates
        WHERE id = tap.sid('class')
    ),
    '2026-06-15'::date, 'the watermark is the last local date covered'
);
SELECT is(
    (
        SELECT count(*)::integer
        FROM scheduling.generate_recurring_sessions(tap.sid('class'), 14, '2026-06-01 08:00+00')
    ),
    0, 'a second call creates nothing'
);
SELECT is(
    (
        SELECT array_agg(occurrence_date)
        FROM scheduling.generate_recurring_sessions(tap.sid('class'), 16, '2026-06-02 08:00+00')
    ),
    '{2026-06-17}'::date [], 'a later call creates only the new days'
);
SELECT ok(
    (
        SELECT bool_and(s.is_visible = (s.visible_from <= '2026-06-01 08:00+00')) FROM scheduling.sessions AS s
        WHERE s.template_id = tap.sid('class') AND s.occurrence_date <= '2026-06-15'
    ),
    'only today''s session is visible at once; the others wait for their date'
);

-- Exceptions survive regeneration.
SELECT is(
    scheduling.skip_template_occurrence(tap.sid('class'), '2026-06-10', 'holiday', 'tester', '2026-06-02 09:00+00')
    ->> 'outcome',
    'session deleted', 'skipping a generated, unbooked date deletes its session'
);
SELECT throws_ok(
    format($$SELECT scheduling.skip_template_occurrence(%L, '2026-06-09')$$, tap.sid('class')),
    'SK027', NULL, 'skipping a date that is not an occurrence: SK027'
);

-- Booked occurrences survive an edit.
INSERT INTO tap.ids VALUES (
    'booking', scheduling.create_booking(
        (
            SELECT id FROM scheduling.sessions
            WHERE template_id = tap.sid('class') AND occurrence_date = '2026-06-12'
        ),
        tap.sid('ann'), NULL, 'tester', '2026-06-02 09:00+00'
    )
);
CREATE TEMP TABLE t_edit AS
SELECT scheduling.update_template(
    tap.sid('class'), p_local_start => '19:00', p_actor => 'tester', p_now => '2026-06-02 10:00+00'
) AS r;
SELECT is(
    (SELECT jsonb_array_length(r -> 'kept') FROM t_edit), 1, 'the edit keeps the booked occurrence and reports it'
);
SELECT is(
    (SELECT r -> 'kept' -> 0 ->> 'reason' FROM t_edit), 'booked', '... saying it is booked'
);
SELECT is(
    (
        SELECT (s.starts_at AT TIME ZONE 'Europe/Berlin')::time FROM scheduling.sessions AS s
        WHERE s.template_id = tap.sid('class') AND s.occurrence_date = '2026-06-12'
    ),
    '18:00'::time, 'the booked session was not moved'
);
SELECT is(
    (
        SELECT array_agg(distinct(s.starts_at AT TIME ZONE 'Europe/Berlin')::time) FROM scheduling.sessions AS s
        WHERE
            s.template_id = tap.sid('class') AND s.deleted_at IS NULL
            AND s.starts_at > '2026-06-02 10:00+00' AND s.occurrence_date <> '2026-06-12'
    ),
    '{19:00:00}'::time [], 'the unbooked future occurrences were regenerated at the new time'
);
SELECT is(pg_temp.live('class', '2026-06-10'), 0, 'the skipped date stays skipped after the edit');
SELECT is(pg_temp.live('class', '2026-06-12'), 1, 'the booked date has exactly one session');
SELECT is(
    (SELECT (r ->> 'removed')::integer FROM t_edit), (SELECT (r ->> 'created')::integer FROM t_edit),
    'as many occurrences were generated again as were removed'
);
SELECT is(pg_temp.live('class', '2026-06-01'), 1, 'a session already past is left alone');

-- Pause and resume.
CREATE TEMP TABLE t_pause AS
SELECT scheduling.pause_template(tap.sid('class'), 'summer', 'tester', '2026-06-02 11:00+00') AS r;
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.sessions
        WHERE template_id = tap.sid('class') AND deleted_at IS NULL AND starts_at > '2026-06-02 11:00+00'
    ),
    1, 'pausing removes the future unbooked occurrences and keeps the booked one'
);
SELECT is((SELECT r -> 'kept' -> 0 ->> 'reason' FROM t_pause), 'booked', 'the pause reports the booked one');
SELECT is(
    (
        SELECT count(*)::integer
        FROM scheduling.generate_recurring_sessions(tap.sid('class'), 30, '2026-06-02 12:00+00')
    ),
    0, 'a paused template generates nothing'
);
SELECT throws_ok(
    format($$SELECT scheduling.pause_template(%L)$$, tap.sid('class')),
    'SK026', NULL, 'pausing a paused template: SK026'
);
SELECT cmp_ok(
    (scheduling.resume_template(tap.sid('class'), 14, 'tester', '2026-06-02 12:00+00') ->> 'created')::integer,
    '>', 0, 'resuming generates again'
);

-- One failing template does not stop the others.
INSERT INTO tap.ids VALUES (
    'broken', scheduling.create_template(
        tap.sid('gone'), 'Broken', 'FREQ=DAILY', '2026-06-01', '10:00', '1 hour', 'Europe/Berlin'
    )
);
UPDATE scheduling.people SET deleted_at = '2026-06-01 00:00+00'
WHERE id = tap.sid('gone');
CREATE TEMP TABLE t_all AS SELECT scheduling.generate_all_recurring_sessions(20, '2026-06-02 12:00+00') AS r;
SELECT is((SELECT (r ->> 'failed')::integer FROM t_all), 1, 'generate_all counts the failing template');
SELECT is((SELECT r -> 'failures' -> 0 ->> 'sqlstate' FROM t_all), 'SK007', '... with its SQLSTATE');
SELECT cmp_ok((SELECT (r ->> 'created')::integer FROM t_all), '>', 0, '... and still generates for the others');
SELECT is(
    (
        SELECT count(*)::integer
        FROM scheduling.recurring_session_logs
        WHERE
            template_id = tap.sid('broken')
            AND action = 'failed'
    ),
    1, 'the failure is logged'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.generate_recurring_sessions('00000000-0000-0000-0000-000000000000')$$,
    'SK022', NULL, 'an unknown template id: SK022'
);

-- Activate, close, archive.
INSERT INTO tap.ids VALUES (
    'short', scheduling.create_template(
        tap.sid('host'), 'Short', 'FREQ=DAILY;COUNT=2', '2026-01-05', '10:00', '1 hour', 'UTC'
    )
);
SELECT is(
    (
        SELECT count(*)::integer
        FROM scheduling.generate_recurring_sessions(tap.sid('short'), 5, '2026-01-04 12:00+00')
    ),
    2, 'COUNT=2 generates two sessions'
);
INSERT INTO tap.ids VALUES (
    'first',
    (
        SELECT id FROM scheduling.sessions
        WHERE template_id = tap.sid('short') AND occurrence_date = '2026-01-05'
    )
);
INSERT INTO tap.ids VALUES (
    'booking2',
    scheduling.create_booking(tap.sid('first'), tap.sid('ann'), NULL, 'tester', '2026-01-04 12:00+00')
);
SELECT is(
    (SELECT array_agg(session_id) FROM scheduling.activate_scheduled_sessions('2026-01-05 00:00+00')),
    ARRAY[tap.sid('first')], 'activate makes the session of the day visible, and only it'
);
SELECT is(
    (SELECT array_agg(session_id) FROM scheduling.auto_close_expired_sessions('2026-01-05 11:30+00')),
    ARRAY[tap.sid('first')], 'auto_close closes the session whose end passed'
);
SELECT is(
    scheduling.archive_closed_sessions('90 days', 1, '2026-04-10 00:00+00'), 1,
    'archive moves the closed session older than 90 days'
);
SELECT ok(
    NOT EXISTS (
        SELECT 1 FROM scheduling.sessions
        WHERE id = tap.sid('first')
    )
    AND EXISTS (
        SELECT 1 FROM scheduling.sessions_archive
        WHERE id = tap.sid('first') AND status = 'completed'
    )
    AND (
        SELECT count(*) FROM scheduling.session_status_history_archive
        WHERE session_id = tap.sid('first')
    ) = 3
    AND (
        SELECT count(*) FROM scheduling.bookings_archive
        WHERE session_id = tap.sid('first')
    ) = 1
    AND (
        SELECT count(*) FROM scheduling.reminders
        WHERE session_id = tap.sid('first')
    ) = 0
    AND (
        SELECT count(*) FROM scheduling.reminders_archive
        WHERE session_id = tap.sid('first')
    ) > 0,
    'the session, its history, bookings and reminders are in the archive and nowhere else'
);

SELECT * FROM finish();
ROLLBACK;
