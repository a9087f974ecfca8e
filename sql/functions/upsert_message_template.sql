-- Not SECURITY DEFINER and granted to nobody: a message text names a template approved in the provider account
-- (whatsapp_template_name, twilio_content_sid), and every message sent with it changes at once, so adding or
-- changing one is the owner's or a DBA's act, like create_reminder_policy.
CREATE OR REPLACE FUNCTION scheduling.upsert_message_template(
    p_name text,
    p_language text,
    p_body text,
    p_parameter_names text [],
    p_whatsapp_template_name text,
    p_twilio_content_sid text DEFAULT NULL,
    p_now timestamptz DEFAULT now()
)
RETURNS text
LANGUAGE plpgsql
AS $function$
DECLARE
    v_parameter text;
    v_inserted boolean;
BEGIN
    PERFORM scheduling_internal.check_now('upsert_message_template', p_now);
    PERFORM scheduling_internal.check_text_length('upsert_message_template: p_name', p_name, 'name');
    PERFORM scheduling_internal.check_text_length('upsert_message_template: p_language', p_language, 'name');
    PERFORM scheduling_internal.check_text_length('upsert_message_template: p_body', p_body, 'free_text');
    PERFORM scheduling_internal.check_text_length(
        'upsert_message_template: p_whatsapp_template_name', p_whatsapp_template_name, 'name'
    );
    PERFORM scheduling_internal.check_text_length(
        'upsert_message_template: p_twilio_content_sid', p_twilio_content_sid, 'name'
    );
    FOREACH v_parameter IN ARRAY coalesce(p_parameter_names, '{}') LOOP
        PERFORM scheduling_internal.check_text_length(
            'upsert_message_template: a parameter name', v_parameter, 'name'
        );
    END LOOP;

    -- Blank fields (SK009), an unknown language (SK050) and placeholders that differ from the parameter names
    -- (SK056) are refused by trigger message_templates_validate, the same rules as for a direct INSERT.
    INSERT INTO scheduling.message_templates AS t (
        name, language, body, parameter_names, whatsapp_template_name, twilio_content_sid, created_at, updated_at
    )
    VALUES (
        p_name, p_language, p_body, coalesce(p_parameter_names, '{}'), p_whatsapp_template_name,
        nullif(btrim(p_twilio_content_sid), ''), p_now, p_now
    )
    ON CONFLICT (name, language) DO UPDATE
        SET
            body = excluded.body,
            parameter_names = excluded.parameter_names,
            whatsapp_template_name = excluded.whatsapp_template_name,
            twilio_content_sid = excluded.twilio_content_sid
    RETURNING (xmax = 0) INTO v_inserted;

    RETURN CASE WHEN v_inserted THEN 'added' ELSE 'updated' END;
END;
$function$;

COMMENT ON FUNCTION scheduling.upsert_message_template(text, text, text, text [], text, text, timestamptz) IS
'Adds the message text p_name in p_language, or replaces its body, parameter_names, whatsapp_template_name and '
'twilio_content_sid (NULL or blank = none: Twilio then cannot send it, the Cloud API can). Returns ''added'' or '
'''updated''. body has {named} placeholders; p_parameter_names lists each of them once, in the order of the '
'approved template''s parameters {{1}}, {{2}}, ... Rows already queued use the new text when next claimed (texts '
'are rendered at claim time). Owner or DBA only: granted to no role. Errors: SK056 placeholders and parameter '
'names differ (the message names those not listed, not in the body, listed twice); SK050 a language not in '
'scheduling.languages; SK009 a blank name, language, body or whatsapp_template_name; SK034 a name, language, '
'parameter name, template name or content SID over 200 characters, or a body over 2000. Nothing is written when '
'any check fails.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts or updates one scheduling.message_templates row (created_at = p_now when added; '
'updated_at = the transaction time, by trigger message_templates_set_updated_at, when updated).';
