CREATE OR REPLACE FUNCTION scheduling_internal.session_templates_validate()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
DECLARE
    v_host_time_zone text;
    v_rule record;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = 'ended' AND NEW.status <> 'ended' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK026', MESSAGE = format('recurring template %s has ended; it cannot become %s', OLD.id, NEW.status);
    END IF;

    PERFORM
        scheduling_internal.check_title('template', NEW.title),
        scheduling_internal.check_text_length('template time_zone', NEW.time_zone, 'name'),
        scheduling_internal.check_text_length('template rrule', NEW.rrule, 'rrule'),
        scheduling_internal.check_text_length('template created_by', NEW.created_by, 'name'),
        scheduling_internal.check_capacity('template', NEW.capacity);
    IF NEW.start_mode IS NULL OR NEW.first_date IS NULL OR NEW.local_start IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009', MESSAGE = 'template start_mode, first_date and local_start must not be NULL';
    END IF;
    IF NOT (NEW.first_date >= DATE '1900-01-01' AND NEW.first_date < DATE '10000-01-01') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format('template first_date %s is outside the years 1900 to 9999', NEW.first_date);
    END IF;
    PERFORM scheduling_internal.check_metadata('template', NEW.metadata);
    IF NEW.duration IS NULL OR NEW.duration <= INTERVAL '0' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK025', MESSAGE = format('template duration must be more than zero, not %s', NEW.duration);
    END IF;

    IF TG_OP = 'INSERT' OR NEW.host_id IS DISTINCT FROM OLD.host_id THEN
        -- The host must exist and not be deleted; its zone is the default.
        v_host_time_zone := scheduling_internal.live_host_time_zone(NEW.host_id);
        NEW.time_zone := coalesce(NEW.time_zone, v_host_time_zone);
    END IF;

    IF NEW.time_zone IS NULL
        OR NOT EXISTS (SELECT 1 FROM scheduling.time_zones AS tz WHERE tz.name = NEW.time_zone) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK005',
            MESSAGE = format('unknown time zone %L for template', NEW.time_zone),
            HINT = 'Use an IANA time zone name such as Europe/Berlin (see scheduling.time_zones).';
    END IF;

    -- The rule columns always follow the RRULE text.
    IF TG_OP = 'INSERT' OR NEW.rrule IS DISTINCT FROM OLD.rrule OR NEW.rule_freq IS DISTINCT FROM OLD.rule_freq
        OR NEW.rule_interval IS DISTINCT FROM OLD.rule_interval OR NEW.rule_by_day IS DISTINCT FROM OLD.rule_by_day
        OR NEW.rule_by_month_day IS DISTINCT FROM OLD.rule_by_month_day
        OR NEW.rule_count IS DISTINCT FROM OLD.rule_count
        OR NEW.rule_until_date IS DISTINCT FROM OLD.rule_until_date
        OR NEW.rule_until_at IS DISTINCT FROM OLD.rule_until_at THEN
        SELECT r.* INTO v_rule FROM scheduling_internal.parse_rrule(NEW.rrule) AS r;
        NEW.rule_freq := v_rule.freq;
        NEW.rule_interval := v_rule.rule_interval;
        NEW.rule_by_day := v_rule.by_day;
        NEW.rule_by_month_day := v_rule.by_month_day;
        NEW.rule_count := v_rule.rule_count;
        NEW.rule_until_date := v_rule.until_date;
        NEW.rule_until_at := v_rule.until_at;
    END IF;

    RETURN NEW;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.session_templates_validate() IS
'Trigger function: validates a recurring template before INSERT/UPDATE, fills time_zone from the host when NULL and '
'the rule_* columns from the RRULE text. Raises SK026 (an ended template cannot change status), SK009 (blank title, '
'negative capacity, NULL first date/local start/start mode, first date outside the years 1900 to 9999, metadata not '
'an object), SK034 (title, time_zone or created_by over 200 characters, rrule over 500, metadata over 10000 as JSON '
'text), SK025 (duration not positive), SK007 (host missing or deleted), SK005 (unknown time zone), SK023/SK024 '
'(invalid rule, see parse_rrule).'
' Side effects: none beyond the row itself (time_zone and the rule_* columns filled).';

CREATE OR REPLACE TRIGGER session_templates_validate
BEFORE INSERT OR UPDATE ON scheduling.session_templates
FOR EACH ROW EXECUTE FUNCTION scheduling_internal.session_templates_validate();

COMMENT ON TRIGGER session_templates_validate ON scheduling.session_templates IS
'Validates every written template so that direct writes and the template functions raise the same SQLSTATE.';
