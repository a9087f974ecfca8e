-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.set_working_hours(
    p_host_id uuid,
    p_hours jsonb,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_days CONSTANT text[] := ARRAY['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
    v_day text;
    v_ranges jsonb;
    v_entry jsonb;
    v_range record;
    v_clash record;
    v_dows smallint[] := '{}';
    v_starts time[] := '{}';
    v_ends time[] := '{}';
    v_labels text[] := '{}';
    v_count integer;
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('set_working_hours', p_actor, p_now);
    IF p_hours IS NULL OR jsonb_typeof(p_hours) <> 'object' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK060',
            MESSAGE = 'set_working_hours: p_hours must be a JSON object of day names, like '
            '{"mon": ["09:00-12:00", "13:00-17:00"], "fri": ["22:00-02:00"]}';
    END IF;

    -- Every entry is read before anything is written.
    FOR v_day, v_ranges IN SELECT e.key, e.value FROM jsonb_each(p_hours) AS e LOOP
        IF NOT v_day = ANY (v_days) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK060',
                MESSAGE = format('set_working_hours: unknown day %L', left(v_day, 40)),
                HINT = 'Days: mon, tue, wed, thu, fri, sat, sun.';
        END IF;
        IF jsonb_typeof(v_ranges) <> 'array' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK060',
                MESSAGE = format('set_working_hours: %s must be a list of ranges like ["09:00-17:00"]', v_day);
        END IF;
        FOR v_entry IN SELECT a.value FROM jsonb_array_elements(v_ranges) AS a LOOP
            IF jsonb_typeof(v_entry) <> 'string' THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'SK060',
                    MESSAGE = format('set_working_hours: %s: %s is not a text like "09:00-17:00"', v_day,
                        left(v_entry::text, 40));
            END IF;
            SELECT r.starts_at, r.ends_at INTO v_range
            FROM scheduling_internal.parse_time_range('set_working_hours: ' || v_day, v_entry #>> '{}') AS r;
            v_dows := v_dows || array_position(v_days, v_day)::smallint;
            v_starts := v_starts || v_range.starts_at;
            v_ends := v_ends || v_range.ends_at;
            v_labels := v_labels || (v_day || ' ' || (v_entry #>> '{}'));
        END LOOP;
    END LOOP;

    SELECT v_labels[a.n] AS first_range, v_labels[b.n] AS second_range INTO v_clash
    FROM generate_subscripts(v_dows, 1) AS a (n)
    INNER JOIN generate_subscripts(v_dows, 1) AS b (n) ON a.n < b.n
    WHERE
        scheduling_internal.week_seconds(v_dows[a.n], v_starts[a.n], v_ends[a.n])
        && scheduling_internal.week_seconds(v_dows[b.n], v_starts[b.n], v_ends[b.n])
    ORDER BY a.n, b.n
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK061',
            MESSAGE = format('set_working_hours: %s and %s overlap', v_clash.first_range, v_clash.second_range),
            HINT = 'Merge them into one range; a range ending at or before its start ends the next day.';
    END IF;

    PERFORM scheduling_internal.live_host_time_zone(p_host_id);
    -- Whoever is booking this host's time meanwhile finishes first (book_next_available_slot holds the lock).
    PERFORM scheduling_internal.lock_host_time(p_host_id);
    DELETE FROM scheduling.working_hours AS w WHERE w.host_id = p_host_id;
    INSERT INTO scheduling.working_hours (host_id, day_of_week, starts_at, ends_at, created_by, created_at)
    SELECT p_host_id, n.dow, n.starts_at, n.ends_at, p_actor, p_now
    FROM unnest(v_dows, v_starts, v_ends) AS n (dow, starts_at, ends_at)
    ORDER BY n.dow, n.starts_at;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$function$;

COMMENT ON FUNCTION scheduling.set_working_hours(uuid, jsonb, text, timestamptz) IS
'Replaces the weekly working hours of host p_host_id, at once, with p_hours: a JSON object from day names (mon, '
'tue, wed, thu, fri, sat, sun) to lists of ''HH:MM-HH:MM'' ranges in the host''s time zone, e.g. '
'{"mon": ["09:00-12:00", "13:00-17:00"], "fri": ["22:00-02:00"]}; an end at or before the start ends the next '
'day (Friday 22:00-02:00 ends Saturday 02:00), 24:00 may end a range; days left out are not worked; {} removes '
'every range (the host then has no working hours: create_appointment stops checking). Returns the number of '
'ranges. Errors: SK060 p_hours not such an object, an unknown day, a day not a list, an entry not such a text, a '
'range starting and ending at the same time; SK061 two ranges overlapping (across midnight and from Sunday into '
'Monday too; a range may start exactly when another ends); SK007 unknown or deleted host. Nothing is written '
'when any entry is refused.'
' Input limits: SK034 p_actor over 200 characters; SK009 p_now NULL or infinite.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: deletes and inserts scheduling.working_hours rows of the host (created_by p_actor, created_at '
'p_now); takes the host''s time lock until commit.';

GRANT EXECUTE ON FUNCTION scheduling.set_working_hours(uuid, jsonb, text, timestamptz) TO sessionkeeper_app;
