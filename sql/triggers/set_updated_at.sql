CREATE OR REPLACE FUNCTION scheduling_internal.set_updated_at()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.set_updated_at() IS
'Trigger function: sets updated_at to the transaction time on every UPDATE of the row.'
' Side effects: none beyond the row itself (updated_at).';

CREATE OR REPLACE TRIGGER people_set_updated_at
BEFORE UPDATE ON scheduling.people
FOR EACH ROW EXECUTE FUNCTION scheduling_internal.set_updated_at();

COMMENT ON TRIGGER people_set_updated_at ON scheduling.people IS
'Keeps people.updated_at current.';

CREATE OR REPLACE TRIGGER sessions_set_updated_at
BEFORE UPDATE ON scheduling.sessions
FOR EACH ROW EXECUTE FUNCTION scheduling_internal.set_updated_at();

COMMENT ON TRIGGER sessions_set_updated_at ON scheduling.sessions IS
'Keeps sessions.updated_at current.';
