-- preview(p_at): what tick, the claim and generation would do by p_at, without doing it; it agrees with tick.
BEGIN;
SELECT plan(18);

-- One row of preview per session step, as text: 'title: from -> to (+delayed) at time'.
CREATE FUNCTION pg_temp.steps(p_at timestamptz) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT format(
        '%s: %s -> %s%s at %s', p.title, p.from_state, p.to_state,
        CASE WHEN p.is_delayed THEN ' +delayed' ELSE '' END, to_char(p.happens_at AT TIME ZONE 'UTC', 'HH24:MI')
    )
    FROM scheduling.preview(p_at) AS p
    WHERE p.kind = 'session'
$$;
CREATE FUNCTION pg_temp.reminder(p_tag text, p_at timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%s -> %s', p.from_state, p.to_state)
    FROM scheduling.preview(p_at) AS p
    WHERE p.kind = 'reminder' AND p.booking_id = tap.sid(p_tag)
$$;

UPDATE scheduling.tick_state SET last_tick_at = NULL;

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Host', '+34600123456', 'Europe/Madrid')),
('ann', scheduling.create_person('Ann', '+34600123457', 'Europe/Madrid', TRUE)),
('bob', scheduling.create_person('Bob without a phone', NULL, 'Europe/Madrid', TRUE));
INSERT INTO tap.ids VALUES
(
    'auto',
    scheduling.create_session(
        tap.free_host('2031-03-01 10:00Z', '2031-03-01 11:00Z'), 'Auto', '2031-03-01 10:00Z', '2031-03-01 11:00Z'
    )
),
(
    'past',
    scheduling.create_session(
        tap.free_host('2031-03-01 08:00Z', '2031-03-01 08:30Z'), 'Past', '2031-03-01 08:00Z', '2031-03-01 08:30Z'
    )
),
(
    'hosted', scheduling.create_session(
        tap.free_host('2031-03-01 09:00Z', '2031-03-01 12:00Z'),
        'Hosted',
        '2031-03-01 09:00Z',
        '2031-03-01 12:00Z',
        p_start_mode => 'host_started'
    )
),
(
    'later', scheduling.create_session(
        tap.free_host('2031-03-01 11:15Z', '2031-03-01 12:00Z'),
        'Later',
        '2031-03-01 11:15Z',
        '2031-03-01 12:00Z',
        p_capacity => 5
    )
),
(
    'gone',
    scheduling.create_session(
        tap.free_host('2031-03-01 09:30Z', '2031-03-01 09:45Z'), 'Gone', '2031-03-01 09:30Z', '2031-03-01 09:45Z'
    )
);
SELECT scheduling.cancel_session(tap.sid('gone'), 'host is ill', p_now => '2031-02-01 00:00Z');
INSERT INTO tap.ids VALUES
(
    'deleted',
    scheduling.create_session(
        tap.free_host('2031-03-01 09:15Z', '2031-03-01 09:40Z'), 'Deleted', '2031-03-01 09:15Z', '2031-03-01 09:40Z'
    )
);
SELECT scheduling.delete_session(tap.sid('deleted'), 'duplicate', p_now => '2031-02-01 00:00Z');
-- Default policy: one reminder an hour before the start, deadline the start.
INSERT INTO tap.ids VALUES
('ann_auto', scheduling.create_booking(tap.sid('auto'), tap.sid('ann'), p_now => '2031-02-01 00:00Z')),
('ann_later', scheduling.create_booking(tap.sid('later'), tap.sid('ann'), p_now => '2031-02-01 00:00Z')),
('bob_later', scheduling.create_booking(tap.sid('later'), tap.sid('bob'), p_now => '2031-02-01 00:00Z'));
INSERT INTO tap.ids VALUES ('yoga', scheduling.create_template(
    tap.sid('host'), 'Yoga', 'FREQ=WEEKLY;BYDAY=TU', '2031-03-01', '09:00', '1 hour', 'Europe/Berlin',
    p_now => '2031-02-01 00:00Z'
));

-- Sessions.
SELECT is(
    (SELECT count(*)::integer FROM pg_temp.steps('2031-03-01 07:59Z')), 0, 'before any start, no session moves'
);
SELECT results_eq(
    $$SELECT * FROM pg_temp.steps('2031-03-01 10:30Z')$$,
    ARRAY[
        'Past: scheduled -> in_progress at 08:00',
        'Past: in_progress -> completed at 08:30',
        'Hosted: scheduled -> in_progress +delayed at 09:00',
        'Auto: scheduled -> in_progress at 10:00'
    ],
    'at 10:30: the missed slot in two steps, the host-started session delayed, the automatic one started, in time '
    || 'order; the cancelled and the deleted ones not at all'
);
SELECT results_eq(
    $$SELECT s.step FROM pg_temp.steps('2031-03-01 11:00Z') AS s (step) WHERE s.step LIKE 'Auto:%'$$,
    ARRAY['Auto: scheduled -> in_progress at 10:00', 'Auto: in_progress -> completed at 11:00'],
    'at its end, an automatic session not yet started would go through both steps'
);
SELECT is(
    (
        SELECT p.detail FROM scheduling.preview('2031-03-01 10:30Z') AS p
        WHERE p.kind = 'session' AND p.id = tap.sid('hosted')
    ),
    'delayed: not started by the host by starts_at ' || '2031-03-01 09:00Z'::timestamptz,
    'the detail says what the history row would say'
);

-- Reminders, claimed by the claim's own re-check at p_at.
SELECT is(pg_temp.reminder('ann_later', '2031-03-01 10:00Z'), NULL, 'a reminder not yet due is not listed');
SELECT is(
    pg_temp.reminder('ann_later', '2031-03-01 10:30Z'), 'pending -> leased', 'a due reminder would be claimed'
);
SELECT is(
    pg_temp.reminder('bob_later', '2031-03-01 10:30Z'), 'pending -> skipped',
    'a due reminder to a person without a phone would be skipped'
);
SELECT is(
    (
        SELECT p.detail FROM scheduling.preview('2031-03-01 10:30Z') AS p
        WHERE p.kind = 'reminder' AND p.booking_id = tap.sid('bob_later')
    ),
    'recipient has no phone number',
    'with the claim''s reason'
);
SELECT is(
    pg_temp.reminder('ann_auto', '2031-03-01 10:30Z'), 'pending -> expired',
    'a reminder whose deadline (the start) passed would expire'
);

-- Recurring generation: 30 days ahead of p_at, minus what exists.
SELECT results_eq(
    $$SELECT p.occurrence_date, p.happens_at FROM scheduling.preview('2031-03-01 10:30Z') AS p
    WHERE p.kind = 'generated' AND p.id = tap.sid('yoga') ORDER BY p.occurrence_date$$,
    $$VALUES ('2031-03-04'::date, '2031-03-04 08:00Z'::timestamptz), ('2031-03-11', '2031-03-11 08:00Z'),
        ('2031-03-18', '2031-03-18 08:00Z'), ('2031-03-25', '2031-03-25 08:00Z')$$,
    'the template''s Tuesdays of the next 30 days, at 09:00 Berlin'
);

-- It wrote nothing.
SELECT results_eq(
    $$SELECT s.status::text, s.is_delayed FROM scheduling.sessions AS s WHERE s.id = tap.sid('past')$$,
    $$VALUES ('scheduled'::text, FALSE)$$,
    'after previews, the missed session is still scheduled'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.sessions AS s
        WHERE s.template_id = tap.sid('yoga')
    ), 0,
    'and no session of the template exists'
);

-- It agrees with what really happens.
CREATE TEMP TABLE t_preview AS
SELECT
    p.id,
    p.from_state,
    p.to_state,
    p.is_delayed,
    p.detail
FROM scheduling.preview('2031-03-01 10:30Z') AS p
WHERE p.kind = 'session';
SELECT scheduling.tick('2031-03-01 10:30Z');
SELECT set_eq(
    'SELECT * FROM t_preview',
    $$SELECT h.session_id, h.from_status::text, h.to_status::text, h.is_delayed, h.detail
    FROM scheduling.session_status_history AS h
    WHERE h.happened_at = '2031-03-01 10:30Z' AND h.reason = 'automatic'$$,
    'tick at the same time writes exactly the steps preview listed'
);
SELECT results_eq(
    $$SELECT s.status::text, count(h.id)::integer
    FROM scheduling.sessions AS s
    LEFT JOIN scheduling.session_status_history AS h ON s.id = h.session_id AND h.reason = 'automatic'
    WHERE s.id = tap.sid('deleted')
    GROUP BY s.status$$,
    $$VALUES ('deleted'::text, 0)$$,
    'tick, like preview, leaves the deleted session alone'
);
SELECT is(
    (
        SELECT count(*)::integer
        FROM scheduling.generate_recurring_sessions(tap.sid('yoga'), 30, '2031-03-01 10:30Z')
    ),
    4,
    'generation creates the four sessions preview listed'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.preview('2031-03-01 10:30Z') AS p
        WHERE p.kind IN ('session', 'generated')
    ),
    0,
    'once they happened, preview at the same time lists no session step and nothing to generate'
);

-- Bad times.
SELECT throws_ok(
    'SELECT * FROM scheduling.preview(NULL)', 'SK009', 'preview: p_at must be a finite time, not NULL',
    'preview(NULL) is refused (SK009)'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.preview('infinity')$$, 'SK009', NULL, 'preview(infinity) is refused (SK009)'
);

SELECT * FROM finish();
ROLLBACK;
