-- Recurring templates: each rule form, wall-clock time across DST, and bad input refused with nothing written.
BEGIN;
SELECT plan(30);

CREATE FUNCTION pg_temp.dates(p_tag text, p_from date, p_to date) RETURNS date []
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(o.occurrence_date ORDER BY o.occurrence_date), '{}')
    FROM scheduling.template_occurrences(tap.sid(p_tag), p_from, p_to) AS o
$$;
CREATE FUNCTION pg_temp.local_starts(p_tag text, p_from date, p_to date) RETURNS text []
LANGUAGE sql STABLE AS $$
    SELECT array_agg(to_char(o.starts_at AT TIME ZONE 'Europe/Berlin', 'YYYY-MM-DD HH24:MI') ORDER BY o.starts_at)
    FROM scheduling.template_occurrences(tap.sid(p_tag), p_from, p_to) AS o
$$;

INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Hana Host', NULL, 'Europe/Berlin'));

-- Rule forms.
INSERT INTO tap.ids VALUES
(
    'daily', scheduling.create_template(
        tap.sid('host'), 'Daily', 'FREQ=DAILY;INTERVAL=3', '2026-05-01', '09:00', '1 hour', 'Europe/Berlin'
    )
),
(
    'weekly', scheduling.create_template(
        tap.sid('host'), 'Weekly', 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE', '2026-03-02', '09:00', '1 hour',
        'Europe/Berlin'
    )
),
(
    'weekly_default', scheduling.create_template(
        tap.sid('host'), 'Weekly', 'FREQ=WEEKLY', '2026-05-07', '09:00', '1 hour', 'Europe/Berlin'
    )
),
(
    'day31', scheduling.create_template(
        tap.sid('host'), '31st', 'FREQ=MONTHLY;BYMONTHDAY=31', '2026-01-31', '18:00', '1 hour', 'Europe/Berlin'
    )
),
(
    'last_day', scheduling.create_template(
        tap.sid('host'), 'Last day', 'FREQ=MONTHLY;BYMONTHDAY=-1', '2026-01-01', '18:00', '1 hour',
        'Europe/Berlin'
    )
),
(
    'nth', scheduling.create_template(
        tap.sid('host'), '2nd Tue, last Fri', 'RRULE:FREQ=MONTHLY;BYDAY=2TU,-1FR', '2026-01-01', '18:00',
        '1 hour', 'Europe/Berlin'
    )
),
(
    'count', scheduling.create_template(
        tap.sid('host'), 'Count', 'FREQ=WEEKLY;BYDAY=TU,TH;COUNT=5', '2026-06-02', '10:00', '30 minutes',
        'Europe/Berlin'
    )
),
(
    'until', scheduling.create_template(
        tap.sid('host'), 'Until', 'FREQ=DAILY;UNTIL=20260604', '2026-06-01', '10:00', '30 minutes',
        'Europe/Berlin'
    )
),
(
    'until_utc', scheduling.create_template(
        tap.sid('host'), 'Until UTC', 'FREQ=DAILY;UNTIL=20260603T080000Z', '2026-06-01', '10:00', '30 minutes',
        'Europe/Berlin'
    )
);

SELECT is(
    pg_temp.dates('daily', '2026-05-01', '2026-05-12'), '{2026-05-01,2026-05-04,2026-05-07,2026-05-10}'::date [],
    'DAILY;INTERVAL=3: every third day from the first date'
);
SELECT is(
    pg_temp.dates('daily', '2026-05-05', '2026-05-12'), '{2026-05-07,2026-05-10}'::date [],
    'a window starting between two occurrences keeps the rule''s phase'
);
SELECT is(
    pg_temp.dates('weekly', '2026-03-01', '2026-03-31'),
    '{2026-03-02,2026-03-04,2026-03-16,2026-03-18,2026-03-30}'::date [],
    'WEEKLY;INTERVAL=2;BYDAY=MO,WE: Monday and Wednesday every other week'
);
SELECT is(
    pg_temp.dates('weekly_default', '2026-05-01', '2026-05-31'),
    '{2026-05-07,2026-05-14,2026-05-21,2026-05-28}'::date [],
    'WEEKLY without BYDAY: the first date''s weekday'
);
SELECT is(
    pg_temp.dates('day31', '2026-01-01', '2026-12-31'),
    '{2026-01-31,2026-03-31,2026-05-31,2026-07-31,2026-08-31,2026-10-31,2026-12-31}'::date [],
    'BYMONTHDAY=31 skips the months without a 31st (RFC 5545)'
);
SELECT is(
    pg_temp.dates('last_day', '2026-01-01', '2026-04-30'), '{2026-01-31,2026-02-28,2026-03-31,2026-04-30}'::date [],
    'BYMONTHDAY=-1: the last day of each month'
);
SELECT is(
    pg_temp.dates('nth', '2026-01-01', '2026-03-31'),
    '{2026-01-13,2026-01-30,2026-02-10,2026-02-27,2026-03-10,2026-03-27}'::date [],
    'MONTHLY;BYDAY=2TU,-1FR: second Tuesday and last Friday'
);
SELECT is(
    pg_temp.dates('count', '2026-01-01', '2026-12-31'),
    '{2026-06-02,2026-06-04,2026-06-09,2026-06-11,2026-06-16}'::date [],
    'COUNT=5: five occurrences in all'
);
SELECT is(
    pg_temp.dates('count', '2026-06-10', '2026-12-31'), '{2026-06-11,2026-06-16}'::date [],
    'COUNT counts from the first date, not from the window'
);
SELECT is(
    pg_temp.dates('until', '2026-01-01', '2026-12-31'), '{2026-06-01,2026-06-02,2026-06-03,2026-06-04}'::date [],
    'UNTIL as a date is inclusive'
);
SELECT is(
    pg_temp.dates('until_utc', '2026-01-01', '2026-12-31'), '{2026-06-01,2026-06-02,2026-06-03}'::date [],
    'UNTIL as a UTC date-time keeps occurrences starting at or before it (10:00 CEST = 08:00Z)'
);
SELECT is(
    (
        SELECT rule_by_day FROM scheduling.session_templates
        WHERE id = tap.sid('nth')
    ),
    '{2TU,-1FR}'::text [],
    'the trigger stores the parsed rule next to its text'
);

-- DST in Europe/Berlin.
INSERT INTO tap.ids VALUES
(
    'nine', scheduling.create_template(
        tap.sid('host'), 'Nine', 'FREQ=DAILY', '2026-03-27', '09:00', '1 hour', 'Europe/Berlin'
    )
),
(
    'gap', scheduling.create_template(
        tap.sid('host'), 'Gap', 'FREQ=DAILY', '2026-03-28', '02:30', '1 hour', 'Europe/Berlin'
    )
);
SELECT is(
    pg_temp.local_starts('nine', '2026-03-28', '2026-03-30'),
    '{"2026-03-28 09:00","2026-03-29 09:00","2026-03-30 09:00"}'::text [],
    '09:00 Europe/Berlin stays 09:00 local across spring forward'
);
SELECT is(
    (
        SELECT array_agg(o.starts_at ORDER BY o.starts_at)
        FROM scheduling.template_occurrences(tap.sid('nine'), '2026-03-28', '2026-03-30') AS o
    ),
    '{"2026-03-28 08:00+00","2026-03-29 07:00+00","2026-03-30 07:00+00"}'::timestamptz [],
    '... which is 08:00Z before and 07:00Z after'
);
SELECT is(
    pg_temp.local_starts('nine', '2026-10-24', '2026-10-26'),
    '{"2026-10-24 09:00","2026-10-25 09:00","2026-10-26 09:00"}'::text [],
    '09:00 Europe/Berlin stays 09:00 local across fall back'
);
SELECT is(
    (
        SELECT o.starts_at
        FROM scheduling.template_occurrences(tap.sid('gap'), '2026-03-29', '2026-03-29') AS o
    ),
    '2026-03-29 03:30+02'::timestamptz,
    'a nonexistent 02:30 (spring-forward gap) moves forward by the gap to 03:30 CEST'
);
SELECT is(
    (
        SELECT o.starts_at
        FROM scheduling.template_occurrences(tap.sid('gap'), '2026-10-25', '2026-10-25') AS o
    ),
    '2026-10-25 02:30+02'::timestamptz,
    'an ambiguous 02:30 (fall back) takes the first instant, 02:30 CEST'
);
SELECT is(
    (
        SELECT o.ends_at - o.starts_at
        FROM scheduling.template_occurrences(tap.sid('gap'), '2026-10-25', '2026-10-25') AS o
    ),
    '1 hour'::interval,
    'the duration is elapsed time'
);
SELECT is(
    scheduling_internal.local_to_instant('2026-10-04 02:15', 'Australia/Lord_Howe'),
    '2026-10-04 02:45+11'::timestamptz,
    'Lord Howe''s 30-minute gap: 02:15 becomes 02:45'
);
SELECT is(
    scheduling_internal.local_to_instant('2026-04-05 01:45', 'Australia/Lord_Howe'),
    '2026-04-05 01:45+11'::timestamptz,
    'Lord Howe''s 30-minute overlap: 01:45 takes the first instant'
);

-- Bad input: specific SQLSTATEs, nothing written.
CREATE TEMP TABLE t_before AS SELECT count(*) AS n FROM scheduling.session_templates;
SELECT throws_ok(
    format(
        $$SELECT scheduling.create_template(%L, 'x', 'FREQ=DAILY', '2026-06-01', '10:00', '1 hour', 'Mars/Olympus')$$,
        tap.sid('host')
    ),
    'SK005', NULL, 'an unknown time zone: SK005'
);
SELECT throws_ok(
    format(
        $$SELECT scheduling.create_template(%L, 'x', 'FREQ=DAILY;COUNT=3;UNTIL=20260701', '2026-06-01', '10:00',
        '1 hour', 'UTC')$$,
        tap.sid('host')
    ),
    'SK024', NULL, 'COUNT together with UNTIL: SK024'
);
SELECT throws_ok(
    format(
        $$SELECT scheduling.create_template(%L, 'x', 'FREQ=DAILY;INTERVAL=0', '2026-06-01', '10:00', '1 hour', 'UTC')$$,
        tap.sid('host')
    ),
    'SK023', NULL, 'INTERVAL=0: SK023'
);
SELECT throws_ok(
    format(
        $$SELECT scheduling.create_template(%L, 'x', 'FREQ=DAILY', '2026-06-01', '10:00', '0 minutes', 'UTC')$$,
        tap.sid('host')
    ),
    'SK025', NULL, 'a zero duration: SK025'
);
SELECT throws_ok(
    format(
        $$SELECT scheduling.create_template(%L, 'x', 'FREQ=DAILY', '2026-06-01', '10:00', '-1 hour', 'UTC')$$,
        tap.sid('host')
    ),
    'SK025', NULL, 'a negative duration: SK025'
);
SELECT throws_ok(
    format(
        $$SELECT scheduling.create_template(%L, 'x', 'FREQ=MONTHLY;BYMONTHDAY=32', '2026-06-01', '10:00', '1 hour',
        'UTC')$$,
        tap.sid('host')
    ),
    'SK023', NULL, 'BYMONTHDAY=32: SK023'
);
SELECT throws_ok(
    format(
        $$SELECT scheduling.create_template(%L, 'x', 'FREQ=DAILY;BYHOUR=9', '2026-06-01', '10:00', '1 hour', 'UTC')$$,
        tap.sid('host')
    ),
    'SK023', NULL, 'an unsupported part (BYHOUR): SK023'
);
SELECT throws_ok(
    format(
        $$SELECT scheduling.create_template(%L, 'x', 'FREQ=WEEKLY;BYDAY=2TU', '2026-06-01', '10:00', '1 hour', 'UTC')$$,
        tap.sid('host')
    ),
    'SK023', NULL, 'a BYDAY ordinal outside MONTHLY: SK023'
);
SELECT throws_ok(
    $$SELECT scheduling.create_template(gen_random_uuid(), 'x', 'FREQ=DAILY', '2026-06-01', '10:00', '1 hour', 'UTC')$$,
    'SK007', NULL, 'an unknown host: SK007'
);
SELECT is(
    (SELECT count(*) FROM scheduling.session_templates), (SELECT n FROM t_before),
    'refused templates were not written'
);

SELECT * FROM finish();
ROLLBACK;
