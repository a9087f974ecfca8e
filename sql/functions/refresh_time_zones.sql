CREATE OR REPLACE FUNCTION scheduling.refresh_time_zones()
RETURNS jsonb
LANGUAGE plpgsql
AS $function$
DECLARE
    v_added integer;
    v_removed integer;
BEGIN
    INSERT INTO scheduling.time_zones (name)
    SELECT tzn.name
    FROM pg_catalog.pg_timezone_names AS tzn
    WHERE
        tzn.name NOT LIKE 'posix/%'
        AND tzn.name NOT IN ('localtime', 'posixrules', 'Factory')
    ON CONFLICT (name) DO NOTHING;
    GET DIAGNOSTICS v_added = ROW_COUNT;

    -- Names gone from tzdata are removed unless a person or session still uses them (the foreign keys
    -- would refuse it anyway); those stay valid until the rows move to another zone.
    DELETE FROM scheduling.time_zones AS tz
    WHERE
        NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names AS tzn WHERE tzn.name = tz.name)
        AND NOT EXISTS (SELECT 1 FROM scheduling.people AS p WHERE p.time_zone = tz.name)
        AND NOT EXISTS (SELECT 1 FROM scheduling.sessions AS s WHERE s.time_zone = tz.name);
    GET DIAGNOSTICS v_removed = ROW_COUNT;

    RETURN jsonb_build_object('added', v_added, 'removed', v_removed);
END;
$function$;

COMMENT ON FUNCTION scheduling.refresh_time_zones() IS
'Re-syncs scheduling.time_zones with pg_timezone_names (run after a tzdata upgrade). Adds new IANA names, '
'removes vanished ones that nothing uses; returns {"added": n, "removed": n}.'
' Side effects: inserts and deletes scheduling.time_zones rows.';
