-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.create_workshop_run(
    p_workshop_id uuid,
    p_run_name text,
    p_start_date date
)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_id uuid;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM scheduling.workshops AS w WHERE w.id = p_workshop_id) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK028', MESSAGE = format('workshop %s not found', coalesce(p_workshop_id::text, 'NULL'));
    END IF;
    IF p_run_name IS NULL OR btrim(p_run_name) = '' OR p_start_date IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'a workshop run needs a name and a start date';
    END IF;
    PERFORM scheduling_internal.check_text_length('workshop run name', p_run_name, 'name');
    IF NOT (p_start_date >= DATE '1900-01-01' AND p_start_date < DATE '10000-01-01') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009', MESSAGE = format('run start date %s is outside the years 1900 to 9999', p_start_date);
    END IF;

    INSERT INTO scheduling.workshop_runs (workshop_id, run_name, start_date, end_date)
    VALUES (p_workshop_id, p_run_name, p_start_date, p_start_date)
    RETURNING workshop_runs.id INTO v_id;
    RETURN v_id;
END;
$function$;

COMMENT ON FUNCTION scheduling.create_workshop_run(uuid, text, date) IS
'Creates an empty run of a workshop (add its days with add_workshop_session); returns its id. Errors: SK028 '
'unknown workshop, SK009 blank name or no start date.'
' Input limits: SK034 run name over 200 characters, SK009 a start date outside the years 1900 to 9999.'
' Side effects: inserts a scheduling.workshop_runs row.';

GRANT EXECUTE ON FUNCTION scheduling.create_workshop_run(uuid, text, date) TO sessionkeeper_app;
