-- People for apps: the app reads people through view people_overview (phones masked) and never the table;
-- update_person changes one field at a time and records who changed which field; phones are written in E.164 on
-- every path and belong to one live person (SK049); a language must be one of scheduling.languages (SK050).
BEGIN;
SELECT plan(53);

-- The app tags what it creates in the shared tap.ids (these grants are rolled back with the rest).
GRANT USAGE ON SCHEMA tap TO sessionkeeper_app;
GRANT SELECT, INSERT ON tap.ids TO sessionkeeper_app;

-- The stored phone of a tagged person (the test role reads the table; the app cannot).
CREATE FUNCTION pg_temp.phone_of(p_tag text) RETURNS text
LANGUAGE sql STABLE AS $$SELECT p.phone FROM scheduling.people AS p WHERE p.id = tap.sid(p_tag)$$;

SET LOCAL ROLE sessionkeeper_app;

-- Phones as people type them: spaces, dashes, dots and parentheses go, a leading 00 becomes +.
SELECT lives_ok(
    $$INSERT INTO tap.ids VALUES
    ('ann', scheduling.create_person('Ann', '+49 151 1234-5678', 'Europe/Berlin', TRUE)),
    ('bob', scheduling.create_person('Bob', '0049 151 87654321', 'America/Sao_Paulo', FALSE, 'pt_BR')),
    ('nora', scheduling.create_person('Nora', NULL, 'UTC')),
    ('pia', scheduling.create_person('Pia', '+1 (555) 010.0123', 'UTC', p_language => 'en_US'))$$,
    'the app creates people, with or without a language (create_person)'
);

-- The view: readable by the app, the table is not; phones masked but for their last 4 digits.
SELECT results_eq(
    $$SELECT o.full_name, o.time_zone, o.language, o.whatsapp_consent, o.phone_masked, o.deleted_at
    FROM scheduling.people_overview AS o
    WHERE o.id IN (tap.sid('ann'), tap.sid('bob'), tap.sid('nora'), tap.sid('pia'))
    ORDER BY o.full_name$$,
    $$VALUES
    ('Ann'::text, 'Europe/Berlin'::text, NULL::text, TRUE, '+•••••••••5678'::text, NULL::timestamptz),
    ('Bob', 'America/Sao_Paulo', 'pt_BR', FALSE, '+•••••••••4321', NULL),
    ('Nora', 'UTC', NULL, FALSE, NULL, NULL),
    ('Pia', 'UTC', 'en_US', FALSE, '+•••••••0123', NULL)$$,
    'the app reads people_overview: every digit of a phone hidden but the last 4, NULL without a phone'
);
SELECT throws_ok(
    'SELECT count(*) FROM scheduling.people',
    '42501', 'permission denied for table people', 'the app still cannot read scheduling.people (42501)'
);
SELECT throws_ok(
    'SELECT scheduling_internal.normalized_phone(''+49 151'')',
    '42501', NULL, 'nor run the internal phone helper (42501)'
);
SELECT throws_ok(
    'SELECT count(*) FROM scheduling.person_changes',
    '42501', 'permission denied for table person_changes', 'nor read the record of changes (42501)'
);

-- update_person, as the app: each field alone; NULL keeps a value; the result names what changed.
SELECT is(
    scheduling.update_person(
        tap.sid('nora'), p_full_name => 'Nora Lind', p_actor => 'desk', p_now => '2031-04-01 09:00Z'
    ),
    jsonb_build_object('person_id', tap.sid('nora'), 'changed', jsonb_build_array('full_name')),
    'update_person changes the full name alone and says so'
);
SELECT is(
    scheduling.update_person(tap.sid('nora'), p_phone => '0034 600-123-456', p_now => '2031-04-01 09:01Z')
    -> 'changed',
    '["phone"]'::jsonb,
    'update_person changes the phone alone'
);
SELECT is(
    scheduling.update_person(tap.sid('nora'), p_time_zone => 'Europe/Madrid', p_now => '2031-04-01 09:02Z')
    -> 'changed',
    '["time_zone"]'::jsonb,
    'update_person changes the time zone alone'
);
SELECT is(
    scheduling.update_person(tap.sid('nora'), p_language => 'es', p_now => '2031-04-01 09:03Z') -> 'changed',
    '["language"]'::jsonb,
    'update_person changes the language alone'
);
SELECT results_eq(
    $$SELECT o.full_name, o.phone_masked, o.time_zone, o.language FROM scheduling.people_overview AS o
    WHERE o.id = tap.sid('nora')$$,
    $$VALUES ('Nora Lind'::text, '+•••••••3456'::text, 'Europe/Madrid'::text, 'es'::text)$$,
    'the four changes are all kept, the phone in E.164'
);
SELECT is(
    scheduling.update_person(
        tap.sid('nora'), 'Nora Lind', '+34600123456', 'Europe/Madrid', 'es', p_now => '2031-04-01 09:04Z'
    ) -> 'changed',
    '[]'::jsonb,
    'the same values again change nothing'
);
SELECT is(
    scheduling.update_person(
        tap.sid('nora'), p_clear_phone => TRUE, p_clear_language => TRUE, p_now => '2031-04-01 09:05Z'
    ) -> 'changed',
    '["phone", "language"]'::jsonb,
    'p_clear_phone and p_clear_language remove the phone and the language'
);
SELECT results_eq(
    $$SELECT o.phone_masked, o.language FROM scheduling.people_overview AS o WHERE o.id = tap.sid('nora')$$,
    $$VALUES (NULL::text, NULL::text)$$,
    'Nora has no phone and no language any more'
);
SELECT throws_ok(
    $$SELECT scheduling.update_person(tap.sid('nora'), p_phone => '+34600123456', p_clear_phone => TRUE)$$,
    'SK051', 'update_person: p_phone given and cleared at once', 'a phone given and cleared at once: SK051'
);
SELECT throws_ok(
    $$SELECT scheduling.update_person(tap.sid('nora'), p_language => 'es', p_clear_language => TRUE)$$,
    'SK051', 'update_person: p_language given and cleared at once', 'a language given and cleared at once: SK051'
);
RESET ROLE;

-- Who changed what and when: field names only, never a phone number or a name.
SELECT results_eq(
    $$SELECT c.changed_at, c.actor, c.changed_fields FROM scheduling.person_changes AS c
    WHERE c.person_id = tap.sid('nora') ORDER BY c.changed_at$$,
    $$VALUES
    ('2031-04-01 09:00Z'::timestamptz, 'desk'::text, ARRAY['full_name']::text []),
    ('2031-04-01 09:01Z', session_user::text COLLATE "default", ARRAY['phone']),
    ('2031-04-01 09:02Z', session_user::text COLLATE "default", ARRAY['time_zone']),
    ('2031-04-01 09:03Z', session_user::text COLLATE "default", ARRAY['language']),
    ('2031-04-01 09:05Z', session_user::text COLLATE "default", ARRAY['phone', 'language'])$$,
    'each call that changed something left one person_changes row: p_actor (default session_user), p_now, the '
    || 'fields; the call that changed nothing none'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.person_changes AS c
        WHERE array_to_string(c.changed_fields, ',') || c.actor ~ '[0-9+]|Nora|Madrid'
    ),
    0,
    'no old or new value is copied into person_changes'
);

-- Normalisation on every path, the direct ones included.
SELECT is(
    pg_temp.phone_of('ann'), '+4915112345678',
    '''+49 151 1234-5678'' is stored as +4915112345678'
);
SELECT is(
    pg_temp.phone_of('bob'), '+4915187654321',
    '''0049 151 87654321'' is stored as +4915187654321'
);
SELECT is(
    pg_temp.phone_of('pia'), '+15550100123',
    '''+1 (555) 010.0123'' is stored as +15550100123'
);
INSERT INTO tap.ids VALUES ('direct', gen_random_uuid());
INSERT INTO scheduling.people (id, full_name, phone) VALUES (tap.sid('direct'), 'Direct', '0044 20 7946 0958');
SELECT is(
    pg_temp.phone_of('direct'), '+442079460958',
    'a direct INSERT is normalised too'
);
UPDATE scheduling.people SET phone = '+44 20-7946-0959'
WHERE id = tap.sid('direct');
SELECT is(
    pg_temp.phone_of('direct'), '+442079460959',
    'and a direct UPDATE'
);

CREATE TEMP TABLE t_before AS SELECT tap.written() AS c;

SELECT throws_ok(
    $$SELECT scheduling.create_person('Berliner', '(030) 1234567', 'Europe/Berlin')$$,
    'SK006', 'phone ''(030) 1234567'' is not an E.164 number',
    'a national number in parentheses is still not E.164: SK006, the message shows the phone as given'
);
SELECT throws_ok(
    $$SELECT scheduling.update_person(tap.sid('bob'), p_phone => '0151 87654321')$$,
    'SK006', NULL, 'update_person refuses a phone without a country code: SK006'
);
SELECT throws_ok(
    $$UPDATE scheduling.people SET phone = '12345' WHERE id = tap.sid('bob')$$,
    'SK006', NULL, 'so does a direct UPDATE: SK006'
);

-- One live person per phone: the message names the other person's id, never their name.
SELECT throws_ok(
    $$SELECT scheduling.create_person('Ann Again', '+49 (151) 1234.5678', 'Europe/Berlin')$$,
    'SK049', format('phone +4915112345678 already belongs to person %s', tap.sid('ann')),
    'create_person with a live person''s phone, however written: SK049 naming their id'
);
SELECT throws_ok(
    $$SELECT scheduling.update_person(tap.sid('bob'), p_phone => '+4915112345678')$$,
    'SK049', format('phone +4915112345678 already belongs to person %s', tap.sid('ann')),
    'update_person to a live person''s phone: SK049'
);
SELECT throws_ok(
    $$INSERT INTO scheduling.people (full_name, phone) VALUES ('Direct Dup', '004915112345678')$$,
    'SK049', NULL, 'a direct INSERT with a live person''s phone: SK049'
);
SELECT throws_ok(
    $$UPDATE scheduling.people SET phone = '+4915112345678' WHERE id = tap.sid('direct')$$,
    'SK049', NULL, 'a direct UPDATE to a live person''s phone: SK049'
);

-- Languages: one of scheduling.languages, or NULL.
SELECT throws_ok(
    $$SELECT scheduling.create_person('Kim', NULL, 'UTC', FALSE, 'klingon')$$,
    'SK050', 'unknown language ''klingon'' for person', 'create_person with an unknown language: SK050'
);
SELECT throws_ok(
    $$SELECT scheduling.create_person('Kim', NULL, 'UTC', FALSE, 'EN')$$,
    'SK050', NULL, 'a code in the wrong case is unknown too: SK050'
);
SELECT throws_ok(
    $$SELECT scheduling.update_person(tap.sid('bob'), p_language => 'pt')$$,
    'SK050', NULL, 'update_person to an unknown language: SK050'
);
SELECT throws_ok(
    $$UPDATE scheduling.people SET language = 'xx' WHERE id = tap.sid('bob')$$,
    'SK050', NULL, 'a direct UPDATE to an unknown language: SK050'
);
SELECT throws_ok(
    $$SELECT scheduling.create_person('Kim', NULL, 'UTC', FALSE, repeat('e', 201))$$,
    'SK034', NULL, 'a language of 201 characters: SK034'
);

-- Unknown and deleted people; bad update_person arguments.
SELECT throws_ok(
    $$SELECT scheduling.update_person(gen_random_uuid(), p_full_name => 'X')$$,
    'SK007', NULL, 'update_person of an unknown person: SK007'
);
SELECT throws_ok(
    $$SELECT scheduling.update_person(NULL, p_full_name => 'X')$$,
    'SK007', 'person NULL not found', 'update_person of a NULL id: SK007'
);
SELECT throws_ok(
    $$SELECT scheduling.update_person(tap.sid('bob'), p_full_name => '  ')$$,
    'SK009', NULL, 'update_person to a blank name: SK009'
);
SELECT throws_ok(
    $$SELECT scheduling.update_person(tap.sid('bob'), p_time_zone => 'Mars/Olympus_Mons')$$,
    'SK005', NULL, 'update_person to an unknown time zone: SK005'
);
SELECT throws_ok(
    $$SELECT scheduling.update_person(tap.sid('bob'), p_full_name => 'B', p_actor => repeat('a', 201))$$,
    'SK034', NULL, 'update_person with a p_actor of 201 characters: SK034'
);
SELECT throws_ok(
    $$SELECT scheduling.update_person(tap.sid('bob'), p_full_name => 'B', p_now => NULL)$$,
    'SK009', NULL, 'update_person with a NULL p_now: SK009'
);
SELECT is(tap.written(), (SELECT c FROM t_before), 'every refused write above left every table as it was');

-- A deleted person's phone may be taken by someone else; the deleted one cannot be brought back with it.
UPDATE scheduling.people SET deleted_at = '2031-04-02 00:00Z'
WHERE id = tap.sid('ann');
SELECT throws_ok(
    $$SELECT scheduling.update_person(tap.sid('ann'), p_full_name => 'Ann B.')$$,
    'SK007', format('person %s is deleted', tap.sid('ann')), 'update_person of a deleted person: SK007'
);
SELECT lives_ok(
    $$INSERT INTO tap.ids VALUES ('ann2', scheduling.create_person('Ann Two', '+4915112345678', 'Europe/Berlin'))$$,
    'a deleted person''s phone may be reused'
);
SELECT results_eq(
    $$SELECT o.full_name, o.deleted_at FROM scheduling.people_overview AS o
    WHERE o.phone_masked = '+•••••••••5678' AND o.id IN (tap.sid('ann'), tap.sid('ann2'))
    ORDER BY o.deleted_at NULLS LAST$$,
    $$VALUES ('Ann'::text, '2031-04-02 00:00Z'::timestamptz), ('Ann Two', NULL)$$,
    'the view lists the deleted person too, with deleted_at'
);
SELECT throws_ok(
    $$UPDATE scheduling.people SET deleted_at = NULL WHERE id = tap.sid('ann')$$,
    'SK049', format('phone +4915112345678 already belongs to person %s', tap.sid('ann2')),
    'undeleting a person whose phone was taken meanwhile: SK049'
);

-- The index is the backstop when the trigger is not there to check (here: triggers switched off).
SELECT ok(
    (
        SELECT i.indisunique AND pg_get_expr(i.indpred, i.indrelid) = '(deleted_at IS NULL)'
        FROM pg_index AS i
        WHERE i.indexrelid = 'scheduling.people_phone_live_key'::regclass
    ),
    'people_phone_live_key is a unique index over the live people''s phones'
);
SELECT set_config('session_replication_role', 'replica', TRUE);
SELECT throws_ok(
    $$INSERT INTO scheduling.people (full_name, phone) VALUES ('Sneaky', '+4915112345678')$$,
    '23505', NULL, 'without the trigger, the unique index still refuses a second live phone (23505)'
);
SELECT set_config('session_replication_role', 'origin', TRUE);

-- The app role holds no table privilege, and update_person is its function.
SELECT ok(
    NOT has_table_privilege('sessionkeeper_app', 'scheduling.people', 'SELECT,INSERT,UPDATE,DELETE'),
    'sessionkeeper_app has no privilege on scheduling.people'
);
SELECT ok(
    has_table_privilege('sessionkeeper_app', 'scheduling.people_overview', 'SELECT'),
    'sessionkeeper_app may SELECT from people_overview'
);
SELECT ok(
    has_function_privilege(
        'sessionkeeper_app',
        'scheduling.update_person(uuid, text, text, text, text, text, timestamptz, boolean, boolean)',
        'EXECUTE'
    ),
    'sessionkeeper_app may EXECUTE update_person'
);
SELECT ok(
    NOT has_function_privilege(
        'sessionkeeper_worker',
        'scheduling.update_person(uuid, text, text, text, text, text, timestamptz, boolean, boolean)',
        'EXECUTE'
    ),
    'the worker may not'
);
SELECT is(
    (
        SELECT p.prosecdef
        FROM pg_proc AS p
        WHERE p.oid = 'scheduling.update_person'::regproc
    ),
    TRUE,
    'update_person is SECURITY DEFINER'
);
SELECT hasnt_function(
    'scheduling', 'create_person', ARRAY['text', 'text', 'text', 'boolean'],
    'the old four-argument create_person is gone (calls with four arguments reach the new one)'
);

SELECT * FROM finish();
ROLLBACK;
