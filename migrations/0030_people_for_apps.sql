-- People for apps: one live person per phone, a record of who changed a person, and create_person with a language.
--
--   people_phone_live_key  unique phone among the people not deleted (replaces the plain index people_phone_idx);
--                          trigger people_validate checks it first and names the other person (SK049)
--   person_changes         who changed which fields of a person, and when (field names only, never the values)
--
-- A database holding two live people with one phone is refused with one message listing their ids (never their
-- phones), before anything changes: a DBA merges them (or sets deleted_at on all but one) and runs migrate again.
-- create_person gains p_language, so its old signature is dropped here (IF EXISTS: on a fresh database sql/ has
-- not run yet); sql/ creates the new one when it is re-applied right after this migration.

DO $migration$
DECLARE
    v_duplicates text;
BEGIN
    SELECT string_agg(d.ids, '; ' ORDER BY d.ids)
    INTO v_duplicates
    FROM (
        SELECT string_agg(p.id::text, ', ' ORDER BY p.created_at, p.id) AS ids
        FROM scheduling.people AS p
        WHERE p.deleted_at IS NULL AND p.phone IS NOT NULL
        GROUP BY p.phone
        HAVING count(*) > 1
    ) AS d;
    IF v_duplicates IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK049',
            MESSAGE = 'people who are not deleted share a phone number; each group shares one: ' || v_duplicates,
            HINT = 'Merge each group into one person (move their bookings to it, then set deleted_at on the '
            || 'others), then run migrate again.';
    END IF;
END;
$migration$;

DROP INDEX scheduling.people_phone_idx;
CREATE UNIQUE INDEX people_phone_live_key ON scheduling.people (phone) WHERE deleted_at IS NULL;

COMMENT ON INDEX scheduling.people_phone_live_key IS
'One live person per phone: the backstop behind trigger people_validate''s SK049; also finds the sender of a reply.';

CREATE TABLE scheduling.person_changes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id uuid NOT NULL REFERENCES scheduling.people (id) ON DELETE CASCADE,
    changed_at timestamptz NOT NULL,
    actor text NOT NULL,
    changed_fields text [] NOT NULL,
    CONSTRAINT person_changes_fields_named CHECK (
        cardinality(changed_fields) > 0
        AND changed_fields <@ ARRAY['full_name', 'phone', 'time_zone', 'language']::text []
    )
);

CREATE INDEX person_changes_person_idx ON scheduling.person_changes (person_id, changed_at);

COMMENT ON TABLE scheduling.person_changes IS
'Who changed a person, when, and which fields (full_name, phone, time_zone, language): one row per '
'scheduling.update_person call that changed something. Only the names of the fields are kept, never the old or '
'new values, so no phone number or name is copied here.';

COMMENT ON TABLE scheduling.people IS
'Hosts (mentors, barbers) and attendees (students, customers). Soft-deleted via deleted_at. Write through '
'scheduling.create_person() and scheduling.update_person(); apps read scheduling.people_overview. Validated by '
'trigger people_validate (SK005, SK006, SK009, SK049, SK050): phones are stored in E.164, one live person each.';

DROP FUNCTION IF EXISTS scheduling.create_person(text, text, text, boolean);
