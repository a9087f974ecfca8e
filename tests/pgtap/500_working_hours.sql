-- A host's working hours: weekly ranges in the host's zone (across midnight and the end of the week), overlaps
-- refused, dated exceptions, and the working time they make, right on the days the clocks change. Everything runs
-- under an odd TimeZone (Pacific/Chatham, +13:45) to show that nothing depends on the caller's setting.
BEGIN;
SELECT plan(46);

SELECT set_config('sessionkeeper.simulated_time', 'on', TRUE);
SELECT set_config('TimeZone', 'Pacific/Chatham', TRUE);

INSERT INTO tap.ids VALUES
('berlin', scheduling.create_person('Berlin Host', NULL, 'Europe/Berlin')),
('new_york', scheduling.create_person('New York Host', NULL, 'America/New_York')),
('sao_paulo', scheduling.create_person('Sao Paulo Host', NULL, 'America/Sao_Paulo'));

-- The local ranges of working time between two instants, as one text.
CREATE FUNCTION pg_temp.worked(p_tag text, p_from timestamptz, p_to timestamptz) RETURNS text
LANGUAGE sql AS $$
    SELECT coalesce(string_agg(
        to_char(w.local_starts_at, 'Dy DD HH24:MI') || '-' || to_char(w.local_ends_at, 'Dy DD HH24:MI'), ', '
        ORDER BY w.starts_at
    ), '')
    FROM scheduling.working_time(tap.sid(p_tag), p_from, p_to) AS w
$$;

-- The real hours of working time between two instants.
CREATE FUNCTION pg_temp.hours(p_tag text, p_from timestamptz, p_to timestamptz) RETURNS numeric
LANGUAGE sql AS $$
    SELECT coalesce(sum(extract(EPOCH FROM w.ends_at - w.starts_at)) / 3600, 0)
    FROM scheduling.working_time(tap.sid(p_tag), p_from, p_to) AS w
$$;

-- Weekly hours, across midnight (2026-03-02 is a Monday).
SELECT is(
    scheduling.set_working_hours(
        tap.sid('berlin'), '{"mon": ["09:00-12:00", "13:00-17:00"], "fri": ["22:00-02:00"], "sun": ["23:00-24:00"]}',
        'test', '2026-03-01 00:00Z'
    ),
    4,
    'set_working_hours stores four ranges'
);
SELECT is(
    pg_temp.worked('berlin', '2026-03-02 00:00+01', '2026-03-09 00:00+01'),
    'Mon 02 09:00-Mon 02 12:00, Mon 02 13:00-Mon 02 17:00, Fri 06 22:00-Sat 07 02:00, Sun 08 23:00-Mon 09 00:00',
    'the week''s working time, in local times: Friday 22:00-02:00 ends Saturday, 24:00 is midnight'
);
SELECT is(
    (
        SELECT array_agg(w.starts_at ORDER BY w.starts_at)
        FROM scheduling.working_time(tap.sid('berlin'), '2026-03-06 00:00+01', '2026-03-08 00:00+01') AS w
    ),
    ARRAY['2026-03-06 21:00Z'::timestamptz],
    'the instants are the host''s local times whatever the caller''s TimeZone'
);
SELECT is(
    pg_temp.worked('berlin', '2026-03-06 23:00+01', '2026-03-07 01:00+01'),
    'Fri 06 23:00-Sat 07 01:00',
    'working time is cut at the window'
);

-- Overlaps are refused, nothing written.
CREATE TEMP TABLE t_before AS SELECT tap.written() AS c;
SELECT throws_ok(
    $$SELECT scheduling.set_working_hours(tap.sid('berlin'), '{"mon": ["09:00-12:00", "11:00-13:00"]}')$$,
    'SK061', 'set_working_hours: mon 09:00-12:00 and mon 11:00-13:00 overlap',
    'two ranges of one day that overlap: SK061 naming both'
);
SELECT throws_ok(
    $$SELECT scheduling.set_working_hours(tap.sid('berlin'), '{"sun": ["22:00-02:00"], "mon": ["01:00-03:00"]}')$$,
    'SK061', NULL, 'Sunday 22:00-02:00 and Monday 01:00-03:00 overlap across the end of the week: SK061'
);
SELECT throws_ok(
    $$SELECT scheduling.set_working_hours(tap.sid('berlin'), '{"tue": ["20:00-03:00"], "wed": ["02:00-04:00"]}')$$,
    'SK061', NULL, 'a range crossing midnight overlaps the next day''s: SK061'
);
SELECT throws_ok(
    $$SELECT scheduling.set_working_hours(tap.sid('berlin'), '{"tue": ["09:00-10:00", "09:00-10:00"]}')$$,
    'SK061', NULL, 'the same range twice: SK061'
);
-- Malformed entries.
SELECT throws_ok(
    $$SELECT scheduling.set_working_hours(tap.sid('berlin'), '["09:00-17:00"]')$$,
    'SK060', NULL, 'p_hours not an object: SK060'
);
SELECT throws_ok(
    $$SELECT scheduling.set_working_hours(tap.sid('berlin'), NULL)$$, 'SK060', NULL, 'p_hours NULL: SK060'
);
SELECT throws_ok(
    $$SELECT scheduling.set_working_hours(tap.sid('berlin'), '{"monday": ["09:00-17:00"]}')$$,
    'SK060', 'set_working_hours: unknown day ''monday''', 'an unknown day name: SK060'
);
SELECT throws_ok(
    $$SELECT scheduling.set_working_hours(tap.sid('berlin'), '{"mon": "09:00-17:00"}')$$,
    'SK060', NULL, 'a day that is not a list: SK060'
);
SELECT throws_ok(
    $$SELECT scheduling.set_working_hours(tap.sid('berlin'), '{"mon": [900]}')$$,
    'SK060', NULL, 'an entry that is not a text: SK060'
);
SELECT throws_ok(
    $$SELECT scheduling.set_working_hours(tap.sid('berlin'), '{"mon": ["9:00-17:00"]}')$$,
    'SK060', NULL, 'a time without two hour digits: SK060'
);
SELECT throws_ok(
    $$SELECT scheduling.set_working_hours(tap.sid('berlin'), '{"mon": ["09:00-25:00"]}')$$,
    'SK060', NULL, 'hour 25: SK060'
);
SELECT throws_ok(
    $$SELECT scheduling.set_working_hours(tap.sid('berlin'), '{"mon": ["24:00-02:00"]}')$$,
    'SK060', NULL, '24:00 as a start: SK060'
);
SELECT throws_ok(
    $$SELECT scheduling.set_working_hours(tap.sid('berlin'), '{"mon": ["10:00-10:00"]}')$$,
    'SK060', NULL, 'a range starting and ending at the same time: SK060'
);
SELECT throws_ok(
    $$SELECT scheduling.set_working_hours(tap.sid('berlin'), '{"mon": ["09:00-12:00"], "tue": ["x"]}')$$,
    'SK060', NULL, 'one bad entry among good ones: SK060'
);
SELECT throws_ok(
    $$SELECT scheduling.set_working_hours('00000000-0000-4000-8000-000000000000', '{"mon": ["09:00-12:00"]}')$$,
    'SK007', NULL, 'an unknown host: SK007'
);
SELECT is(tap.written(), (SELECT c FROM t_before), 'the refused calls wrote nothing');

-- Adjacent ranges are one stretch of working time.
SELECT is(
    scheduling.set_working_hours(
        tap.sid('new_york'), '{"mon": ["09:00-12:00", "12:00-13:00"], "sun": ["22:00-24:00"]}', 'test',
        '2026-03-01 00:00Z'
    ),
    3,
    'a range may start exactly when another ends'
);
SELECT is(
    pg_temp.worked('new_york', '2026-03-01 00:00-05', '2026-03-03 00:00-05'),
    'Sun 01 22:00-Mon 02 00:00, Mon 02 09:00-Mon 02 13:00',
    'adjacent ranges make one stretch'
);

-- The days the clocks change: a whole local day is 23 or 25 hours; a range across the change is longer or
-- shorter than its wall-clock length; a local time in the spring-forward gap moves forward by the gap.
SELECT scheduling.set_working_hours(
    tap.sid('berlin'), '{"sun": ["00:00-24:00"], "sat": ["20:00-22:00"]}', 'test',
    '2026-03-01 00:00Z'
);
SELECT is(
    pg_temp.hours('berlin', '2026-03-29 00:00+01', '2026-03-30 00:00+02'), 23.0,
    'Europe/Berlin, spring forward: Sunday 00:00-24:00 is 23 hours'
);
SELECT is(
    pg_temp.hours('berlin', '2026-10-25 00:00+02', '2026-10-26 00:00+01'), 25.0,
    'Europe/Berlin, fall back: Sunday 00:00-24:00 is 25 hours'
);
SELECT is(
    pg_temp.worked('berlin', '2026-03-28 12:00+01', '2026-03-30 12:00+02'),
    'Sat 28 20:00-Sat 28 22:00, Sun 29 00:00-Mon 30 00:00',
    '00:00-24:00 is the whole local day'
);
SELECT scheduling.set_working_hours(
    tap.sid('berlin'), '{"sun": ["01:00-04:00", "09:00-17:00"]}', 'test', '2026-03-01 00:00Z'
);
SELECT is(
    pg_temp.hours('berlin', '2026-03-29 00:00+01', '2026-03-30 00:00+02'), 10.0,
    'spring forward: 01:00-04:00 is 2 real hours, 09:00-17:00 (after the change) 8'
);
SELECT is(
    pg_temp.hours('berlin', '2026-10-25 00:00+02', '2026-10-26 00:00+01'), 12.0,
    'fall back: 01:00-04:00 is 4 real hours'
);
SELECT scheduling.set_working_hours(tap.sid('berlin'), '{"sun": ["02:30-05:00"]}', 'test', '2026-03-01 00:00Z');
SELECT is(
    (
        SELECT array_agg(w.starts_at)
        FROM scheduling.working_time(tap.sid('berlin'), '2026-03-29 00:00+01', '2026-03-30 00:00+02') AS w
    ),
    ARRAY['2026-03-29 03:30+02'::timestamptz],
    'a start inside the spring-forward gap (02:30) moves forward by the gap: 03:30 CEST'
);
SELECT scheduling.set_working_hours(tap.sid('new_york'), '{"sun": ["00:00-24:00"]}', 'test', '2026-03-01 00:00Z');
SELECT is(
    pg_temp.hours('new_york', '2026-03-08 00:00-05', '2026-03-09 00:00-04'), 23.0,
    'America/New_York, spring forward: a whole Sunday is 23 hours'
);
SELECT is(
    pg_temp.hours('new_york', '2026-11-01 00:00-04', '2026-11-02 00:00-05'), 25.0,
    'America/New_York, fall back: a whole Sunday is 25 hours'
);
-- Sao Paulo moved its clocks at midnight (2018-11-04 00:00 became 01:00).
SELECT scheduling.set_working_hours(
    tap.sid('sao_paulo'), '{"sat": ["22:00-24:00"], "sun": ["00:00-03:00"]}', 'test', '2018-10-01 00:00Z'
);
SELECT is(
    pg_temp.worked('sao_paulo', '2018-11-03 12:00-03', '2018-11-04 12:00-02'),
    'Sat 03 22:00-Sun 04 03:00',
    'America/Sao_Paulo, clocks moved at midnight: Saturday''s range and Sunday''s are one stretch'
);
SELECT is(
    pg_temp.hours('sao_paulo', '2018-11-03 12:00-03', '2018-11-04 12:00-02'), 4.0,
    'and 22:00 to 03:00 across the missing hour is 4 real hours'
);
SELECT set_config('TimeZone', 'UTC', TRUE);
SELECT is(
    pg_temp.hours('sao_paulo', '2018-11-03 12:00-03', '2018-11-04 12:00-02'), 4.0,
    'the same under TimeZone UTC'
);
SELECT set_config('TimeZone', 'Pacific/Chatham', TRUE);

-- Exceptions (Berlin: Monday 09:00-12:00, Friday 22:00-02:00 again).
SELECT scheduling.set_working_hours(
    tap.sid('berlin'), '{"mon": ["09:00-12:00"], "fri": ["22:00-02:00"]}', 'test', '2026-03-01 00:00Z'
);
SELECT scheduling.add_working_hours_exception(
    tap.sid('berlin'), '2026-03-02', 'day_off', NULL, 'ill', 'test', '2026-03-01 00:00Z'
);
SELECT scheduling.add_working_hours_exception(
    tap.sid('berlin'), '2026-03-07', 'day_off', NULL, NULL, 'test', '2026-03-01 00:00Z'
);
SELECT scheduling.add_working_hours_exception(
    tap.sid('berlin'), '2026-03-09', 'hours_off', '10:00-11:00', 'dentist', 'test', '2026-03-01 00:00Z'
);
SELECT scheduling.add_working_hours_exception(
    tap.sid('berlin'), '2026-03-11', 'extra_hours', '23:00-01:00', NULL, 'test', '2026-03-01 00:00Z'
);
SELECT is(
    pg_temp.worked('berlin', '2026-03-02 00:00+01', '2026-03-09 00:00+01'),
    'Fri 06 22:00-Sat 07 00:00',
    'a day off removes Monday''s hours, and Saturday''s day off stops Friday''s range at midnight'
);
SELECT is(
    pg_temp.worked('berlin', '2026-03-09 00:00+01', '2026-03-13 00:00+01'),
    'Mon 09 09:00-Mon 09 10:00, Mon 09 11:00-Mon 09 12:00, Wed 11 23:00-Thu 12 01:00',
    'hours off split a day; extra hours cross midnight'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.working_hours_overview AS o
        WHERE o.host_id = tap.sid('berlin')
    ),
    6,
    'working_hours_overview lists the weekly ranges and the exceptions'
);
SELECT lives_ok(
    $$SELECT scheduling.remove_working_hours_exception(
        tap.sid('berlin'),
        (SELECT o.exception_id FROM scheduling.working_hours_overview AS o
         WHERE o.host_id = tap.sid('berlin') AND o.on_date = '2026-03-02'),
        'test', '2026-03-01 00:00Z'
    )$$,
    'remove_working_hours_exception removes the day off'
);
SELECT is(
    pg_temp.worked('berlin', '2026-03-02 00:00+01', '2026-03-03 00:00+01'),
    'Mon 02 09:00-Mon 02 12:00',
    'and Monday''s hours are back'
);

-- Bad exceptions and windows.
UPDATE t_before SET c = tap.written();
SELECT throws_ok(
    $$SELECT scheduling.add_working_hours_exception(tap.sid('berlin'), '2026-03-02', 'holiday')$$,
    'SK060', NULL, 'an unknown exception kind: SK060'
);
SELECT throws_ok(
    $$SELECT scheduling.add_working_hours_exception(tap.sid('berlin'), '2026-03-02', 'day_off', '09:00-10:00')$$,
    'SK060', NULL, 'a day off with hours: SK060'
);
SELECT throws_ok(
    $$SELECT scheduling.add_working_hours_exception(tap.sid('berlin'), '2026-03-02', 'extra_hours')$$,
    'SK060', NULL, 'extra hours without hours: SK060'
);
SELECT throws_ok(
    $$SELECT scheduling.add_working_hours_exception(tap.sid('berlin'), NULL, 'day_off')$$,
    'SK060', NULL, 'no date: SK060'
);
SELECT throws_ok(
    $$SELECT scheduling.remove_working_hours_exception(tap.sid('new_york'), 1)$$,
    'SK060', NULL, 'removing an exception the host does not have: SK060'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.working_time(tap.sid('berlin'), '2026-03-02 00:00Z', '2026-03-02 00:00Z')$$,
    'SK062', NULL, 'working_time with p_to not after p_from: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.working_time(tap.sid('berlin'), '2026-01-01 00:00Z', '2027-01-03 00:00Z')$$,
    'SK062', NULL, 'working_time over more than 366 days: SK062'
);
SELECT is(tap.written(), (SELECT c FROM t_before), 'the refused exceptions wrote nothing');

SELECT * FROM finish();
ROLLBACK;
