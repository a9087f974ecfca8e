CREATE OR REPLACE FUNCTION scheduling_internal.notify_session_status(p_event jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $function$
DECLARE
    c_max_updates CONSTANT integer := 50;
    v_updates jsonb := coalesce(p_event -> 'updates', '[]'::jsonb);
    v_total integer;
    v_payload jsonb;
BEGIN
    IF jsonb_typeof(v_updates) <> 'array' THEN
        v_updates := '[]'::jsonb;
    END IF;
    v_total := greatest(coalesce((p_event ->> 'total')::integer, 0), jsonb_array_length(v_updates));

    v_payload := jsonb_build_object(
        'source', p_event -> 'source',
        'started', coalesce((p_event ->> 'started')::integer, 0),
        'delayed', coalesce((p_event ->> 'delayed')::integer, 0),
        'completed', coalesce((p_event ->> 'completed')::integer, 0),
        'updates', (
            SELECT coalesce(
                jsonb_agg(
                    jsonb_build_object(
                        'id', u.item -> 'id', 'from', u.item -> 'from', 'to', u.item -> 'to',
                        'action', coalesce(
                            u.item ->> 'action',
                            scheduling_internal.session_change_action(
                                (u.item ->> 'from')::scheduling.session_status,
                                (u.item ->> 'to')::scheduling.session_status,
                                coalesce((u.item ->> 'is_delayed')::boolean, FALSE),
                                'automatic', NULL
                            )
                        )
                    )
                    ORDER BY u.ord
                ),
                '[]'::jsonb
            )
            FROM jsonb_array_elements(v_updates) WITH ORDINALITY AS u (item, ord)
            WHERE u.ord <= c_max_updates
        )
    );

    IF v_total > jsonb_array_length(v_payload -> 'updates') THEN
        v_payload := v_payload || jsonb_build_object('truncated', TRUE, 'total', v_total);
    END IF;

    PERFORM pg_notify('scheduling_session_status', v_payload::text);
    RETURN v_payload;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.notify_session_status(jsonb) IS
'Sends one NOTIFY on channel scheduling_session_status and returns the payload: {source, started, delayed, '
'completed, updates: [{id, from, to, action}]}. action is the update''s own when it has one (the manual actions '
'pass their history row''s), else what session_change_action says of a tick step from, to, is_delayed (started, '
'delayed, completed). At most 50 updates are listed (about 4 kB, under the 8000-byte '
'NOTIFY limit); when more happened the payload also has "truncated": true and "total": n. p_event may carry '
'"total" when its own updates list was already capped. Shared by tick() and the manual actions.'
' Side effects: NOTIFY scheduling_session_status.';
