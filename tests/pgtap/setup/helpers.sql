-- Helpers shared by the pgTAP files, installed once by tests/run_pgtap.py into the migrated test database
-- (as the superuser pg_prove runs as) before pg_prove runs. They live in schema tap, apart from the
-- project's schemas, so the catalogue checks of the role tests never see them.
--
-- Each pgTAP file runs in a transaction it rolls back: the rows a file writes into tap.ids and tap.ticks
-- vanish with it, and no file sees another's. A file that calls a helper under SET ROLE grants that role
-- USAGE on schema tap and what it needs on the tables itself, inside its transaction.
CREATE SCHEMA tap;
COMMENT ON SCHEMA tap IS 'pgTAP test helpers (tests/pgtap/setup/helpers.sql); only in the test database.';

-- Tags for the ids a test creates: INSERT INTO tap.ids VALUES ('host', scheduling.create_person(...)).
CREATE TABLE tap.ids (tag text PRIMARY KEY, id uuid NOT NULL);
COMMENT ON TABLE tap.ids IS 'Tag -> id of what a test created; emptied by the test''s ROLLBACK.';

CREATE FUNCTION tap.sid(p_tag text) RETURNS uuid
LANGUAGE sql STABLE AS $$SELECT t.id FROM tap.ids AS t WHERE t.tag = p_tag$$;
COMMENT ON FUNCTION tap.sid(text) IS 'The id tagged p_tag in tap.ids (NULL if none); reads only.';

-- Each tick's outcome under a tag, so later assertions can look at it again.
CREATE TABLE tap.ticks (tag text PRIMARY KEY, outcome jsonb NOT NULL);
COMMENT ON TABLE tap.ticks IS 'Tag -> outcome of a scheduling.tick() a test ran; emptied by the ROLLBACK.';

CREATE FUNCTION tap.tick(p_tag text, p_now timestamptz) RETURNS jsonb
LANGUAGE sql AS $$INSERT INTO tap.ticks VALUES (p_tag, scheduling.tick(p_now)) RETURNING outcome$$;
COMMENT ON FUNCTION tap.tick(text, timestamptz) IS
'Runs scheduling.tick(p_now) and keeps its outcome under p_tag in tap.ticks (a tag used twice: unique_violation).';

CREATE FUNCTION tap.outcome(p_tag text) RETURNS jsonb
LANGUAGE sql STABLE AS $$SELECT t.outcome FROM tap.ticks AS t WHERE t.tag = p_tag$$;
COMMENT ON FUNCTION tap.outcome(text) IS 'The outcome of the tick tagged p_tag (NULL if none); reads only.';

CREATE FUNCTION tap.status(p_tag text) RETURNS text
LANGUAGE sql STABLE AS $$SELECT s.status::text FROM scheduling.sessions AS s WHERE s.id = tap.sid(p_tag)$$;
COMMENT ON FUNCTION tap.status(text) IS 'The status of the session tagged p_tag; reads only.';

CREATE FUNCTION tap.history_count() RETURNS integer
LANGUAGE sql STABLE AS $$SELECT count(*)::integer FROM scheduling.session_status_history$$;
COMMENT ON FUNCTION tap.history_count() IS 'How many rows session_status_history holds; reads only.';

-- The host tagged 'host' when it is free from p_starts_at to p_ends_at; otherwise a new person with the same name
-- and zone: a host is in one session at a time, and most tests want several sessions at once without caring whose.
CREATE FUNCTION tap.free_host(p_starts_at timestamptz, p_ends_at timestamptz) RETURNS uuid
LANGUAGE sql AS $$
    SELECT CASE
        WHEN (scheduling_internal.host_busy_with(tap.sid('host'), p_starts_at, p_ends_at)).id IS NULL THEN tap.sid('host')
        ELSE scheduling.create_person(h.full_name, NULL, h.time_zone)
    END
    FROM scheduling.people AS h
    WHERE h.id = tap.sid('host')
$$;
COMMENT ON FUNCTION tap.free_host(timestamptz, timestamptz) IS
'The host tagged host if free then, else a new person like it (create_person); no other write.';

-- A session on 2031-05-01 10:00-11:00Z of the host tagged 'host' (or a twin, see free_host), created on 2031-04-01,
-- tagged p_tag.
CREATE FUNCTION tap.new_session(p_tag text, p_capacity integer DEFAULT 1) RETURNS uuid
LANGUAGE sql AS $$
    INSERT INTO tap.ids
    VALUES (
        p_tag, scheduling.create_session(
            tap.free_host('2031-05-01 10:00Z', '2031-05-01 11:00Z'), p_tag, '2031-05-01 10:00Z', '2031-05-01 11:00Z',
            p_capacity => p_capacity, p_now => '2031-04-01 00:00Z'
        )
    )
    RETURNING id
$$;
COMMENT ON FUNCTION tap.new_session(text, integer) IS
'Creates a session of the host tagged host (title p_tag) and tags it p_tag; create_session''s errors.';

-- A half-hour 'Haircut' appointment of the host tagged 'host' (or a twin, see free_host) with p_person, booked at
-- p_now, tagged p_tag.
CREATE FUNCTION tap.book(
    p_tag text, p_person uuid, p_starts_at timestamptz, p_policy text, p_now timestamptz
) RETURNS uuid
LANGUAGE sql AS $$
    INSERT INTO tap.ids VALUES (
        p_tag, scheduling.create_appointment(
            tap.free_host(p_starts_at, p_starts_at + interval '30 minutes'), p_person, 'Haircut', p_starts_at, p_starts_at + interval '30 minutes',
            p_policy, 'x', p_now
        )
    )
    RETURNING id
$$;
COMMENT ON FUNCTION tap.book(text, uuid, timestamptz, text, timestamptz) IS
'Books an appointment (p_policy NULL: the default policy) and tags the booking p_tag; create_appointment''s errors.';

-- The reminder row of a booking tag: its first one (kind reminder before cancellation, then the lowest seq).
CREATE FUNCTION tap.rid(p_tag text) RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT r.id FROM scheduling.reminders AS r
    WHERE r.booking_id = tap.sid(p_tag)
    ORDER BY r.kind, r.seq
    LIMIT 1
$$;
COMMENT ON FUNCTION tap.rid(text) IS 'The first reminder row of the booking tagged p_tag; reads only.';

CREATE FUNCTION tap.token(p_tag text) RETURNS uuid
LANGUAGE sql STABLE AS $$SELECT r.attempt_token FROM scheduling.reminders AS r WHERE r.id = tap.rid(p_tag)$$;
COMMENT ON FUNCTION tap.token(text) IS 'The current attempt token of tap.rid(p_tag); reads only.';

-- What every table of the project holds, to compare before and after calls that must write nothing.
CREATE FUNCTION tap.written() RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_table regclass;
    v_rows bigint;
    v_digest text;
    v_result text := '';
BEGIN
    FOR v_table IN
        SELECT c.oid::regclass
        FROM pg_class AS c
        WHERE c.relnamespace IN ('scheduling'::regnamespace, 'scheduling_internal'::regnamespace) AND c.relkind = 'r'
        ORDER BY c.oid::regclass::text
    LOOP
        EXECUTE format(
            'SELECT count(*), md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L)) FROM %s AS t', ',', '',
            v_table
        ) INTO v_rows, v_digest;
        v_result := v_result || format('%s %s %s; ', v_table, v_rows, v_digest);
    END LOOP;
    RETURN v_result;
END;
$$;
COMMENT ON FUNCTION tap.written() IS
'Row count and content digest of every table of scheduling and scheduling_internal, one text; reads only.';
