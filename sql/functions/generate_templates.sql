CREATE OR REPLACE FUNCTION scheduling_internal.generate_templates(
    p_template_ids uuid [],
    p_days_ahead integer,
    p_now timestamptz
)
RETURNS TABLE (
    gen_template_id uuid,
    gen_session_id uuid,
    gen_occurrence_date date,
    gen_starts_at timestamptz
)
LANGUAGE plpgsql
-- JIT compiling the big insert (its estimate of the host_busy join is far too high) cost about 2 s of a
-- 9 s generation of 34,500 sessions; the work is row triggers and foreign-key checks, which JIT does not speed up.
SET jit = off
AS $function$
DECLARE
    v_ids uuid [];
    v_host_id uuid;
    -- The candidates (occurrences not generated yet), one array per column, in the order the templates are
    -- generated in (oldest template first, then id) and then by start.
    v_template_ids uuid [];
    v_host_ids uuid [];
    v_dates date [];
    v_starts timestamptz [];
    v_ends timestamptz [];
    v_visible timestamptz [];
    v_busy_ids uuid [];
    v_tangled boolean [];
    -- For a tangled candidate that gives way: the index of the kept candidate it overlaps.
    v_lost_to integer [];
    v_kept integer [] := '{}';
    v_index integer;
    v_other integer;
BEGIN
    -- Template rows locked in id order (serialises concurrent generations of one template); paused and ended
    -- templates generate nothing.
    SELECT coalesce(array_agg(l.id ORDER BY l.id), '{}')
    INTO v_ids
    FROM (
        SELECT t.id
        FROM scheduling.session_templates AS t
        WHERE t.id = ANY(p_template_ids) AND t.status = 'active'
        ORDER BY t.id
        FOR UPDATE
    ) AS l;

    -- Every host's time lock, in the order of the lock keys (no two generations wait for each other in a cycle),
    -- held to the end of the transaction: nobody else places a session in these hosts' time between the check
    -- below and the insert.
    FOR v_host_id IN
        SELECT h.host_id
        FROM (SELECT DISTINCT t.host_id FROM scheduling.session_templates AS t WHERE t.id = ANY(v_ids)) AS h
        ORDER BY pg_catalog.hashtext(h.host_id::text), h.host_id
    LOOP
        PERFORM scheduling_internal.lock_host_time(v_host_id);
    END LOOP;

    -- All templates' occurrences in one pass, each with the live session that already holds the host's time
    -- (if any). A free candidate is tangled when it overlaps another free candidate of the same host: the
    -- running maximum of the ends before it, or the next start, tells without comparing every pair.
    WITH candidates AS (
        SELECT
            t.id AS c_template_id,
            t.created_at AS c_created_at,
            t.host_id AS c_host_id,
            o.occurrence_date AS c_date,
            o.starts_at AS c_starts_at,
            o.ends_at AS c_ends_at,
            o.visible_from AS c_visible_from,
            (scheduling_internal.host_busy_with(t.host_id, o.starts_at, o.ends_at)).id AS c_busy_id
        FROM scheduling_internal.occurrences_to_generate(v_ids, p_days_ahead, p_now) AS o
        INNER JOIN scheduling.session_templates AS t ON t.id = o.template_id
        WHERE
            NOT EXISTS (
                SELECT 1
                FROM scheduling.sessions AS existing
                WHERE existing.template_id = t.id AND existing.occurrence_date = o.occurrence_date
            )
    ),

    free AS (
        SELECT
            c.c_template_id,
            c.c_date,
            coalesce(
                max(c.c_ends_at) OVER (
                    PARTITION BY c.c_host_id ORDER BY c.c_starts_at, c.c_template_id, c.c_date
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                ) > c.c_starts_at,
                FALSE
            )
            OR coalesce(
                lead(c.c_starts_at) OVER (
                    PARTITION BY c.c_host_id ORDER BY c.c_starts_at, c.c_template_id, c.c_date
                ) < c.c_ends_at,
                FALSE
            ) AS f_tangled
        FROM candidates AS c
        WHERE c.c_busy_id IS NULL
    )

    SELECT
        array_agg(o.c_template_id),
        array_agg(o.c_host_id),
        array_agg(o.c_date),
        array_agg(o.c_starts_at),
        array_agg(o.c_ends_at),
        array_agg(o.c_visible_from),
        array_agg(o.c_busy_id),
        array_agg(o.o_tangled)
    INTO v_template_ids, v_host_ids, v_dates, v_starts, v_ends, v_visible, v_busy_ids, v_tangled
    FROM (
        -- Sorted once; the aggregates keep the order of their input.
        SELECT c.*, coalesce(f.f_tangled, FALSE) AS o_tangled
        FROM candidates AS c
        LEFT JOIN free AS f ON f.c_template_id = c.c_template_id AND f.c_date = c.c_date
        ORDER BY c.c_created_at, c.c_template_id, c.c_starts_at, c.c_date
    ) AS o;

    -- The tangled candidates (rare: templates of one host at overlapping times, or a template whose sessions last
    -- longer than 23 hours overlapping itself) are decided one by one, as generating the templates one after the
    -- other, oldest first, would: the first in that order keeps the time, a later one that overlaps a kept one
    -- gives way to it.
    v_lost_to := array_fill(NULL::integer, ARRAY[coalesce(cardinality(v_template_ids), 0)]);
    FOR v_index IN 1 .. coalesce(cardinality(v_template_ids), 0) LOOP
        CONTINUE WHEN NOT v_tangled[v_index];
        SELECT k.i
        INTO v_other
        FROM unnest(v_kept) AS k (i)
        WHERE
            v_host_ids[k.i] = v_host_ids[v_index]
            AND v_starts[k.i] < v_ends[v_index]
            AND v_starts[v_index] < v_ends[k.i]
        ORDER BY v_starts[k.i], k.i
        LIMIT 1;
        IF v_other IS NULL THEN
            v_kept := v_kept || v_index;
        ELSE
            v_lost_to[v_index] := v_other;
        END IF;
    END LOOP;

    -- The host of every session to create must be live (SK007 otherwise, as the sessions trigger would say).
    PERFORM scheduling_internal.live_host_time_zone(h.host_id)
    FROM (
        SELECT DISTINCT u.host_id
        FROM unnest(v_host_ids, v_busy_ids, v_lost_to) AS u (host_id, busy_id, lost_to)
        WHERE u.busy_id IS NULL AND u.lost_to IS NULL
    ) AS h
    LEFT JOIN scheduling.people AS p ON p.id = h.host_id
    WHERE p.id IS NULL OR p.deleted_at IS NOT NULL;

    -- Everything the sessions triggers would check per row is checked: they skip it for these rows.
    PERFORM pg_catalog.set_config('sessionkeeper.generation_checked', pg_catalog.pg_current_xact_id()::text, TRUE);

    RETURN QUERY
    WITH candidates AS (
        SELECT
            u.i,
            u.c_template_id,
            u.c_date,
            u.c_starts_at,
            u.c_ends_at,
            u.c_visible_from,
            u.c_busy_id,
            u.c_lost_to
        FROM unnest(v_template_ids, v_dates, v_starts, v_ends, v_visible, v_busy_ids, v_lost_to) WITH ORDINALITY
            AS u (c_template_id, c_date, c_starts_at, c_ends_at, c_visible_from, c_busy_id, c_lost_to, i)
    ),

    created AS (
        INSERT INTO scheduling.sessions AS s (
            host_id, title, starts_at, ends_at, time_zone, start_mode, capacity, metadata, reminder_policy_id,
            template_id, occurrence_date, visible_from, is_visible, created_at, updated_at
        )
        SELECT
            t.host_id,
            t.title,
            c.c_starts_at,
            c.c_ends_at,
            t.time_zone,
            t.start_mode,
            t.capacity,
            t.metadata,
            t.reminder_policy_id,
            t.id,
            c.c_date,
            c.c_visible_from,
            c.c_visible_from <= p_now,
            p_now,
            p_now
        FROM candidates AS c
        INNER JOIN scheduling.session_templates AS t ON t.id = c.c_template_id
        WHERE c.c_busy_id IS NULL AND c.c_lost_to IS NULL
        ORDER BY c.i
        ON CONFLICT ON CONSTRAINT sessions_template_occurrence_key DO NOTHING
        RETURNING s AS new_session
    ),

    history AS (
        INSERT INTO scheduling.session_status_history (
            session_id, from_status, to_status, is_delayed, reason, detail, slot_version, happened_at
        )
        SELECT
            (c.new_session).id, NULL, 'scheduled', FALSE, 'automatic',
            format(
                'generated from template %s for %s: %s .. %s', (c.new_session).template_id,
                (c.new_session).occurrence_date, (c.new_session).starts_at, (c.new_session).ends_at
            ),
            1, p_now
        FROM created AS c
        RETURNING 1 AS one
    ),

    logged AS (
        INSERT INTO scheduling.recurring_session_logs (
            template_id, session_id, occurrence_date, action, detail, happened_at
        )
        SELECT
            (c.new_session).template_id, (c.new_session).id, (c.new_session).occurrence_date, 'generated',
            format('%s .. %s', (c.new_session).starts_at, (c.new_session).ends_at), p_now
        FROM created AS c
        UNION ALL
        -- Busy: the session that holds the time (one already there, or one this pass creates); a template's own
        -- previous occurrence is named by its duration.
        SELECT
            c.c_template_id, NULL, c.c_date, 'host_busy',
            CASE
                WHEN c.c_busy_id IS NOT NULL
                    THEN scheduling_internal.host_busy_message(
                        (SELECT b FROM scheduling.sessions AS b WHERE b.id = c.c_busy_id), c.c_starts_at, c.c_ends_at
                    )
                WHEN winner.c_template_id <> c.c_template_id
                    THEN scheduling_internal.host_busy_message(
                        (
                            SELECT w.new_session
                            FROM created AS w
                            WHERE
                                (w.new_session).template_id = winner.c_template_id
                                AND (w.new_session).occurrence_date = winner.c_date
                        ),
                        c.c_starts_at, c.c_ends_at
                    )
                ELSE 'not generated: it would overlap the previous occurrence of this template (its sessions last '
                    || (SELECT t.duration FROM scheduling.session_templates AS t WHERE t.id = c.c_template_id)
                    || ')'
            END,
            p_now
        FROM candidates AS c
        LEFT JOIN candidates AS winner ON winner.i = c.c_lost_to
        WHERE c.c_busy_id IS NOT NULL OR c.c_lost_to IS NOT NULL
        RETURNING 1 AS one
    )

    SELECT
        (c.new_session).template_id, (c.new_session).id, (c.new_session).occurrence_date, (c.new_session).starts_at
    FROM created AS c;

    PERFORM pg_catalog.set_config('sessionkeeper.generation_checked', '', TRUE);

    -- The new watermarks, even for templates with no occurrence left to create.
    UPDATE scheduling.session_templates AS t
    SET generated_until = greatest(t.generated_until, w.to_date)
    FROM scheduling.session_templates AS o
    CROSS JOIN LATERAL scheduling_internal.generation_window(o, p_days_ahead, p_now) AS w
    WHERE
        o.id = ANY(v_ids)
        AND t.id = o.id
        AND t.generated_until IS DISTINCT FROM greatest(t.generated_until, w.to_date);
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.generate_templates(uuid [], integer, timestamptz) IS
'Internal (generate_recurring_sessions, generate_all_recurring_sessions): generates the sessions of the active '
'templates among p_template_ids in set-based statements and returns them. Locks the template rows (id order) and '
'every host''s time (lock_host_time, in lock-key order) to the end of the transaction; expands every template''s '
'occurrences (occurrences_to_generate) in one pass; an occurrence whose host already has a live session then is '
'logged host_busy naming it; occurrences of one host that overlap each other are decided in the order of the '
'templates'' creation (created_at, then id) and then of their starts, as generating the templates one after the '
'other would: the first keeps the time, a later one is logged '
'host_busy naming the session that won (or, for a template overlapping itself, its duration). Errors: those of '
'the session triggers (SK007 deleted host, ...), raised for the whole call (the caller isolates templates).'
' Side effects: inserts scheduling.sessions with their session_status_history rows (reason automatic) and '
'recurring_session_logs rows (generated, host_busy); takes the template row locks and the hosts'' time locks to '
'the end of the transaction; raises session_templates.generated_until to the end of each generation window.';
