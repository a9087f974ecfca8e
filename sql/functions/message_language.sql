CREATE OR REPLACE FUNCTION scheduling_internal.message_language(
    p_template_name text,
    p_person_language text,
    p_policy_language text,
    OUT language text,
    OUT language_source text
)
LANGUAGE plpgsql
STABLE
AS $function$
BEGIN
    -- The first candidate in which the template exists: the person's language, the policy's, the default.
    SELECT c.code, c.source
    INTO language, language_source
    FROM (
        VALUES (1, p_person_language, 'person'), (2, p_policy_language, 'policy'), (3, 'en', 'default')
    ) AS c (rank, code, source)
    WHERE EXISTS (
        SELECT 1 FROM scheduling.message_templates AS t WHERE t.name = p_template_name AND t.language = c.code
    )
    ORDER BY c.rank
    LIMIT 1;

    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK058',
            MESSAGE = format(
                'message template %L exists in none of the languages %s',
                p_template_name, concat_ws(', ', p_person_language, p_policy_language, 'en')
            ),
            HINT = 'Add it with scheduling.upsert_message_template.';
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.message_language(text, text, text) IS
'Internal: the language an outbox row with template p_template_name is written in, and why (language_source): '
'the person''s language (people.language) when the template exists in it (person), else the reminder policy''s '
'language when it exists there (policy), else ''en'' (default). Every path that writes outbox rows asks here '
'(plan_booking_reminders, queue_cancellation_message, promote_waitlist). Errors: SK058 when the template exists '
'in none of them.'
' Side effects: none.';
