-- A host is in one session at a time. Two live sessions (scheduled, in progress or completed) of one host whose
-- times overlap cannot both exist, whoever writes them and however concurrently: an exclusion constraint over the
-- host and the session's time range. Cancelled, no-show and deleted sessions hold no time. The trigger
-- sessions_validate_host_time (sql/triggers) turns a conflict into SK059 naming the other session; the constraint
-- is the backstop. Generation from templates and cloning of workshops skip a conflicting occurrence and log it.

-- btree_gist gives GiST the "=" on uuid that the constraint needs. It is a trusted extension: a login with CREATE
-- on the database may install it (the owner role has no such grant): hence RESET ROLE first, then the rest as the
-- owner again. An existing installation, in any schema, is used as is; a new one gets a schema of its own,
-- sessionkeeper_extensions, so that its few hundred functions do not crowd scheduling_internal. Nobody needs USAGE
-- on it: the constraint's index uses the operator class directly.
RESET ROLE;

DO $extension$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'btree_gist') THEN
        CREATE SCHEMA IF NOT EXISTS sessionkeeper_extensions;
        COMMENT ON SCHEMA sessionkeeper_extensions IS
        'Extensions sessionkeeper installed itself (btree_gist, for the constraint that keeps a host in one session '
        'at a time). Nothing here is called by name.';
        REVOKE ALL ON SCHEMA sessionkeeper_extensions FROM PUBLIC;
        CREATE EXTENSION btree_gist SCHEMA sessionkeeper_extensions;
    END IF;
END;
$extension$;

SELECT set_config('role', 'sessionkeeper_owner', TRUE);

-- Sessions written before this rule may already overlap: say which, and change nothing, rather than fail on the
-- constraint with a bare key.
DO $migration$
DECLARE
    v_sessions text;
    v_count integer;
BEGIN
    -- One ordered pass per host: a session that starts before an earlier one of the same host has ended overlaps it.
    SELECT
        count(*)::integer,
        string_agg(
            format(
                'host %s: session %s (%s .. %s) starts before an earlier one ends (at %s)',
                o.host_id, o.id, o.starts_at, o.ends_at, o.earlier_ends_at
            ),
            '; ' ORDER BY o.host_id, o.starts_at, o.id
        )
    INTO v_count, v_sessions
    FROM (
        SELECT
            s.host_id,
            s.id,
            s.starts_at,
            s.ends_at,
            max(s.ends_at) OVER (
                PARTITION BY s.host_id ORDER BY s.starts_at, s.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ) AS earlier_ends_at
        FROM scheduling.sessions AS s
        WHERE s.status IN ('scheduled', 'in_progress', 'completed')
    ) AS o
    WHERE o.earlier_ends_at > o.starts_at;
    IF v_count > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK059',
            MESSAGE = format(
                '%s live session(s) overlap an earlier one of the same host; a host can be in one session at a time: %s',
                v_count, left(v_sessions, 2000)
            ),
            HINT = 'Cancel, move or delete the sessions that clash (scheduling.cancel_session, reschedule_session, '
            'delete_session), then migrate again.';
    END IF;
END;
$migration$;

ALTER TABLE scheduling.sessions ADD CONSTRAINT sessions_host_time_never_overlaps
EXCLUDE USING gist (host_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
WHERE (status IN ('scheduled', 'in_progress', 'completed'));

COMMENT ON CONSTRAINT sessions_host_time_never_overlaps ON scheduling.sessions IS
'A host is in one live session (scheduled, in progress or completed) at a time; [starts_at, ends_at): a session '
'may start exactly when the previous one ends. Its index also answers "what does this host have between two '
'times" (free slots, agendas).';

-- Generation logs an occurrence it did not create because its host was busy then.
ALTER TABLE scheduling.recurring_session_logs DROP CONSTRAINT recurring_session_logs_action;
ALTER TABLE scheduling.recurring_session_logs ADD CONSTRAINT recurring_session_logs_action CHECK (
    action IN ('generated', 'removed', 'kept', 'skipped', 'moved', 'failed', 'host_busy')
);

COMMENT ON TABLE scheduling.recurring_session_logs IS
'The generation log: one row per session generated from a template, per future occurrence removed or kept (booked '
'or moved by hand) by an edit or pause, per date skipped or moved, per occurrence not generated because the host '
'was busy then (host_busy: detail names the session that holds the time), and per template whose generation '
'failed in generate_all_recurring_sessions (detail holds the error). session_id has no foreign key: the session '
'may be archived. happened_at is p_now, recorded_at the wall clock.';

-- Cloning a workshop skips a day whose host is busy then, and keeps a row saying so.
CREATE TABLE scheduling.workshop_run_skipped_days (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id uuid NOT NULL,
    day_number integer NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    busy_session_id uuid NOT NULL,
    reason text NOT NULL,
    actor text NOT NULL,
    happened_at timestamptz NOT NULL,
    CONSTRAINT workshop_run_skipped_days_run_id_fkey FOREIGN KEY (run_id)
    REFERENCES scheduling.workshop_runs (id) ON DELETE CASCADE
);

COMMENT ON TABLE scheduling.workshop_run_skipped_days IS
'One row per day of a workshop that clone_workshop_sessions did not create in a new run because the host already '
'had a live session then: the day, its times, the session that holds the time (busy_session_id, no foreign key: '
'it may be archived) and the reason as shown to the caller. Read through workshop_run_summary.skipped_days.';

CREATE INDEX workshop_run_skipped_days_run_idx ON scheduling.workshop_run_skipped_days (run_id);
