-- A host's working time, as data: weekly ranges in the host's own time zone (people.time_zone) and dated
-- exceptions (a day off, hours off on a date, extra hours on a date). free_slots, book_next_available_slot,
-- host_agenda and create_appointment read them (sql/functions); set_working_hours and the exception functions
-- write them. Times are wall-clock times of the host's zone: a 09:00-17:00 day is 7 or 9 hours of real time on
-- the days the clocks change.

-- The two helpers below stay here, not in sql/functions: a stored generated column keeps the values computed when
-- each row was written, so the rule must never change under it.

-- Seconds since Monday 00:00 of a weekday (1 = Monday .. 7 = Sunday, ISO) and a time of day.
CREATE FUNCTION scheduling_internal.week_second(p_day_of_week smallint, p_time time)
RETURNS integer
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $function$
    SELECT (p_day_of_week - 1) * 86400 + extract(EPOCH FROM p_time)::integer;
$function$;

COMMENT ON FUNCTION scheduling_internal.week_second(smallint, time) IS
'Internal: the second of the week (0 = Monday 00:00) at which weekday p_day_of_week (ISO, 1 = Monday) reaches '
'p_time. Used by the generated column working_hours.week_seconds.'
' Side effects: none.';

-- The part of the week a weekly range covers, as seconds of the week: a range ending at or before its start ends
-- the next day, and one that runs past Sunday 24:00 wraps to Monday; hence a multirange.
CREATE FUNCTION scheduling_internal.week_seconds(p_day_of_week smallint, p_starts_at time, p_ends_at time)
RETURNS int4multirange
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $function$
    SELECT
        CASE
            WHEN e.ends_second <= 604800 THEN int4multirange(int4range(e.starts_second, e.ends_second))
            ELSE int4multirange(
                int4range(e.starts_second, 604800), int4range(0, e.ends_second - 604800)
            )
        END
    FROM (
        SELECT
            scheduling_internal.week_second(p_day_of_week, p_starts_at) AS starts_second,
            scheduling_internal.week_second(p_day_of_week, p_starts_at)
            + CASE
                WHEN p_ends_at > p_starts_at THEN extract(EPOCH FROM p_ends_at - p_starts_at)::integer
                ELSE 86400 - extract(EPOCH FROM p_starts_at - p_ends_at)::integer
            END AS ends_second
    ) AS e;
$function$;

COMMENT ON FUNCTION scheduling_internal.week_seconds(smallint, time, time) IS
'Internal: the seconds of the week ([0, 604800), Monday 00:00 = 0) a weekly range covers: p_ends_at at or before '
'p_starts_at ends the next day, and Sunday''s range past midnight wraps to Monday. Two ranges of a host overlap '
'exactly when these overlap (the exclusion constraint working_hours_never_overlap).'
' Side effects: none.';

CREATE TABLE scheduling.working_hours (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_id uuid NOT NULL,
    day_of_week smallint NOT NULL,
    starts_at time NOT NULL,
    ends_at time NOT NULL,
    week_seconds int4multirange GENERATED ALWAYS AS (
        scheduling_internal.week_seconds(day_of_week, starts_at, ends_at)
    ) STORED,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT working_hours_host_id_fkey FOREIGN KEY (host_id) REFERENCES scheduling.people (id),
    CONSTRAINT working_hours_day_of_week CHECK (day_of_week BETWEEN 1 AND 7),
    CONSTRAINT working_hours_never_overlap EXCLUDE USING gist (host_id WITH =, week_seconds WITH &&)
);

COMMENT ON TABLE scheduling.working_hours IS
'A host''s weekly working hours, in the host''s time zone (people.time_zone): one row per range, several per '
'day. day_of_week is ISO (1 = Monday .. 7 = Sunday); ends_at at or before starts_at ends the next day (Friday '
'22:00-02:00 ends Saturday 02:00; 00:00 as the end is midnight, 00:00-00:00 the whole day). A host''s ranges '
'never overlap, across midnight '
'and the end of the week too (working_hours_never_overlap; set_working_hours refuses first with SK061). Write '
'through scheduling.set_working_hours (replaces them all); apps read scheduling.working_hours_overview.';

COMMENT ON COLUMN scheduling.working_hours.week_seconds IS
'The seconds of the week the range covers (0 = Monday 00:00), for the overlap rule; generated.';

CREATE TABLE scheduling.working_hours_exceptions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_id uuid NOT NULL,
    on_date date NOT NULL,
    kind text NOT NULL,
    starts_at time,
    ends_at time,
    reason text,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT working_hours_exceptions_host_id_fkey FOREIGN KEY (host_id) REFERENCES scheduling.people (id),
    CONSTRAINT working_hours_exceptions_kind CHECK (kind IN ('day_off', 'hours_off', 'extra_hours')),
    CONSTRAINT working_hours_exceptions_times CHECK (
        (kind = 'day_off' AND starts_at IS NULL AND ends_at IS NULL)
        OR (kind <> 'day_off' AND starts_at IS NOT NULL AND ends_at IS NOT NULL)
    )
);

COMMENT ON TABLE scheduling.working_hours_exceptions IS
'Dated changes to a host''s weekly hours, in the host''s time zone: day_off (the whole local date, times NULL), '
'hours_off (starts_at..ends_at on that date) or extra_hours (worked on that date besides the weekly hours). '
'ends_at at or before starts_at ends the next day. Working time = (weekly hours - days off - hours off) + extra '
'hours. Write through scheduling.add_working_hours_exception and remove_working_hours_exception.';

CREATE INDEX working_hours_exceptions_host_date_idx ON scheduling.working_hours_exceptions (host_id, on_date);

-- create_appointment gains a trailing p_outside_working_hours (sql/functions makes it again); positional calls
-- with the old arguments keep working. Between this migration and sql/ being re-applied, creating an appointment
-- fails: stop the apps first, as for 0011.
DROP FUNCTION IF EXISTS scheduling.create_appointment(
    uuid, uuid, text, timestamptz, timestamptz, text, text, timestamptz
);
