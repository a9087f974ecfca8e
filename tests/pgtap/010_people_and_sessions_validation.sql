-- Validation of people and sessions: SQLSTATEs, nothing written on bad input, defaults.
BEGIN;
SELECT plan(32);

SELECT ok(
    EXISTS (
        SELECT 1 FROM scheduling.time_zones
        WHERE name = 'Europe/Madrid'
    )
    AND EXISTS (
        SELECT 1 FROM scheduling.time_zones
        WHERE name = 'UTC'
    ),
    'time_zones holds IANA names such as Europe/Madrid and UTC'
);
SELECT ok(
    NOT EXISTS (
        SELECT 1 FROM scheduling.time_zones
        WHERE name LIKE 'posix/%'
    ),
    'time_zones leaves out the posix/ duplicates'
);
SELECT is(
    scheduling.refresh_time_zones() ->> 'added', '0',
    'refresh_time_zones adds nothing when already in sync'
);

-- People.
INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Ana Host', '+34600123456', 'Europe/Madrid', TRUE));
SELECT isnt(tap.sid('host'), NULL, 'create_person returns the new id');
SELECT results_eq(
    $$SELECT full_name, phone, time_zone, whatsapp_consent FROM scheduling.people WHERE id = tap.sid('host')$$,
    $$VALUES ('Ana Host'::text, '+34600123456'::text, 'Europe/Madrid'::text, TRUE)$$,
    'create_person stores name, phone, time zone and consent'
);
INSERT INTO tap.ids VALUES ('nozone', scheduling.create_person('No Zone'));
SELECT is(
    (
        SELECT time_zone FROM scheduling.people
        WHERE id = tap.sid('nozone')
    ),
    'UTC',
    'create_person defaults the time zone to UTC and accepts a NULL phone'
);
SELECT throws_ok(
    $$SELECT scheduling.create_person('Bad Phone', '34600123456')$$,
    'SK006', NULL, 'a phone without + or 00 is not E.164: SK006'
);
SELECT throws_ok(
    $$SELECT scheduling.create_person('Bad Phone', '+34 600 123 ABC')$$,
    'SK006', NULL, 'a phone with letters is not E.164: SK006'
);
SELECT throws_ok(
    $$SELECT scheduling.create_person('Bad Phone', '+0123456789')$$,
    'SK006', NULL, 'a country code cannot start with 0: SK006'
);
SELECT throws_ok(
    $$SELECT scheduling.create_person('Bad Zone', NULL, 'Mars/Olympus_Mons')$$,
    'SK005', NULL, 'an unknown time zone is refused: SK005'
);
SELECT throws_ok(
    $$SELECT scheduling.create_person('Bad Zone', NULL, 'CEST')$$,
    'SK005', NULL, 'an abbreviation is not an IANA name: SK005'
);
SELECT throws_ok(
    $$SELECT scheduling.create_person('   ')$$,
    'SK009', NULL, 'a blank full name is refused: SK009'
);
SELECT throws_ok(
    $$INSERT INTO scheduling.people (full_name, phone) VALUES ('Direct', '12345')$$,
    'SK006', NULL, 'a direct INSERT with a bad phone raises the same SK006'
);
SELECT is(
    (SELECT count(*)::integer FROM scheduling.people), 2,
    'refused people were not written'
);

UPDATE scheduling.people SET updated_at = '2000-01-01'
WHERE id = tap.sid('host');
SELECT is(
    (
        SELECT updated_at FROM scheduling.people
        WHERE id = tap.sid('host')
    ), now(),
    'people.updated_at is maintained by trigger'
);

-- Sessions.
INSERT INTO tap.ids VALUES ('gone', scheduling.create_person('Gone Host'));
UPDATE scheduling.people SET deleted_at = now()
WHERE id = tap.sid('gone');

SELECT throws_ok(
    $$SELECT scheduling.create_session(tap.sid('host'), 'T', '2031-01-01 11:00Z', '2031-01-01 10:00Z')$$,
    'SK004', NULL, 'end before start is refused: SK004'
);
SELECT throws_ok(
    $$SELECT scheduling.create_session(tap.sid('host'), 'T', '2031-01-01 10:00Z', '2031-01-01 10:00Z')$$,
    'SK004', NULL, 'end equal to start is refused: SK004'
);
SELECT throws_ok(
    $$SELECT scheduling.create_session(
        tap.sid('host'), 'T', '2031-01-01 10:00Z', '2031-01-01 11:00Z', 'Europe/Atlantis'
    )$$,
    'SK005', NULL, 'an unknown session time zone is refused: SK005'
);
SELECT throws_ok(
    $$SELECT scheduling.create_session(gen_random_uuid(), 'T', '2031-01-01 10:00Z', '2031-01-01 11:00Z')$$,
    'SK007', NULL, 'an unknown host is refused: SK007'
);
SELECT throws_ok(
    $$SELECT scheduling.create_session(tap.sid('gone'), 'T', '2031-01-01 10:00Z', '2031-01-01 11:00Z')$$,
    'SK007', NULL, 'a deleted host is refused: SK007'
);
SELECT throws_ok(
    $$SELECT scheduling.create_session(
        tap.sid('host'), 'T', '2031-01-01 10:00Z', '2031-01-01 11:00Z', p_capacity => -1
    )$$,
    'SK009', NULL, 'a negative capacity is refused: SK009'
);
SELECT throws_ok(
    $$SELECT scheduling.create_session(tap.sid('host'), ' ', '2031-01-01 10:00Z', '2031-01-01 11:00Z')$$,
    'SK009', NULL, 'a blank title is refused: SK009'
);
SELECT throws_ok(
    $$INSERT INTO scheduling.sessions (host_id, title, starts_at, ends_at)
    VALUES (tap.sid('host'), 'Direct', '2031-01-01 11:00Z', '2031-01-01 10:00Z')$$,
    'SK004', NULL, 'a direct INSERT with end before start raises the same SK004'
);
SELECT is(
    (SELECT count(*)::integer FROM scheduling.sessions), 0,
    'refused sessions were not written'
);
SELECT is(
    (SELECT count(*)::integer FROM scheduling.session_status_history), 0,
    'refused sessions wrote no history'
);

INSERT INTO tap.ids VALUES (
    's', scheduling.create_session(
        tap.sid('host'), 'Guitar lesson', '2031-01-01 10:00Z', '2031-01-01 11:00Z',
        p_actor => 'alice', p_now => '2030-12-01 09:00Z'
    )
);
SELECT results_eq(
    $$SELECT status, is_delayed, start_mode, capacity, slot_version, metadata, time_zone
    FROM scheduling.sessions WHERE id = tap.sid('s')$$,
    $$VALUES (
        'scheduled'::scheduling.session_status, FALSE, 'automatic'::scheduling.session_start_mode, 1, 1,
        '{}'::jsonb, 'Europe/Madrid'::text
    )$$,
    'create_session defaults: scheduled, not delayed, automatic, capacity 1, slot_version 1, host time zone'
);
SELECT results_eq(
    $$SELECT from_status, to_status, reason, actor, happened_at
    FROM scheduling.session_status_history WHERE session_id = tap.sid('s')$$,
    $$VALUES (
        NULL::scheduling.session_status, 'scheduled'::scheduling.session_status,
        'manual'::scheduling.status_change_reason, 'alice'::text, '2030-12-01 09:00Z'::timestamptz
    )$$,
    'create_session writes one history row NULL -> scheduled, manual, with actor and p_now'
);
SELECT lives_ok(
    $$SELECT scheduling.create_session(
        tap.sid('host'), 'Open class', '2031-01-02 10:00Z', '2031-01-02 11:00Z', 'UTC', 'host_started', 0,
        '{"room": "B"}'
    )$$,
    'capacity 0 (unlimited), host_started mode, explicit time zone and metadata are accepted'
);
SELECT throws_ok(
    $$UPDATE scheduling.sessions SET ends_at = starts_at WHERE id = tap.sid('s')$$,
    'SK004', NULL, 'a direct UPDATE is validated too: SK004'
);
SELECT throws_ok(
    $$UPDATE scheduling.sessions SET time_zone = 'Nowhere/City' WHERE id = tap.sid('s')$$,
    'SK005', NULL, 'a direct UPDATE of the time zone is validated: SK005'
);
SELECT ok(
    (
        SELECT count(*) = 5 FROM pg_constraint
        WHERE
            conrelid = 'scheduling.sessions'::regclass
            AND conname IN (
                'sessions_ends_after_starts', 'sessions_capacity_not_negative', 'sessions_title_not_blank',
                'sessions_metadata_is_object', 'sessions_scheduled_not_delayed'
            )
    ),
    'named CHECK constraints back the triggers up on sessions'
);
SELECT ok(
    (
        SELECT count(*) = 2 FROM pg_constraint
        WHERE
            conrelid = 'scheduling.people'::regclass
            AND conname IN ('people_phone_e164', 'people_full_name_not_blank')
    ),
    'named CHECK constraints back the triggers up on people'
);

SELECT * FROM finish();
ROLLBACK;
