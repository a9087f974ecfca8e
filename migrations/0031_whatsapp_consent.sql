-- WhatsApp consent as a change with a history, and the reply words that change it.
--
--   consent_changes    one row per change of people.whatsapp_consent made by set_whatsapp_consent or by a reply
--   consent_keywords   the words a reply may be (per language) that withdraw or give consent: STOP, START, ...
--   inbound_messages   action may now also be opted_out, opted_in or already (a consent word that changed nothing)

CREATE TABLE scheduling.consent_changes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id uuid NOT NULL REFERENCES scheduling.people (id),
    consent boolean NOT NULL,
    source text NOT NULL,
    actor text NOT NULL,
    changed_at timestamptz NOT NULL,
    inbound_message_id bigint,
    CONSTRAINT consent_changes_source_known CHECK (source IN ('app', 'reply', 'operator')),
    CONSTRAINT consent_changes_message_of_reply CHECK (inbound_message_id IS NULL OR source = 'reply')
);

CREATE INDEX consent_changes_person_idx ON scheduling.consent_changes (person_id, changed_at);

COMMENT ON TABLE scheduling.consent_changes IS
'Each change of a person''s WhatsApp consent (people.whatsapp_consent), oldest first by id: consent is the new '
'value (false = withdrawn), source who asked (app: the application; reply: the person, by a WhatsApp reply; '
'operator: someone acting on the person''s word by hand), actor the login or, for a reply, the provider '
'(whatsapp reply, twilio reply), changed_at the p_now of the change. inbound_message_id is the '
'scheduling.inbound_messages row of the reply that made the change (only for source reply; no foreign key, since '
'replies are deleted by purge_old_records after the retention age while this history is kept). Setting the value '
'a person already has writes no row. The consent given at create_person is not a row here: it is '
'people.whatsapp_consent as created. No phone number or name is kept here. Written by set_whatsapp_consent and '
'record_inbound_message only.';

CREATE TABLE scheduling.consent_keywords (
    language text NOT NULL REFERENCES scheduling.languages (code), -- noqa: RF04
    word text NOT NULL,
    consent boolean NOT NULL,
    PRIMARY KEY (language, word),
    CONSTRAINT consent_keywords_word_form CHECK (
        word = btrim(word) AND word <> '' AND word !~ '[[:punct:]]$' AND word !~ '\s\s' AND char_length(word) <= 200
    )
);

COMMENT ON TABLE scheduling.consent_keywords IS
'The replies that change WhatsApp consent: a reply whose whole body is one of these words (any language''s list; '
'compared case-insensitively, after trimming, dropping trailing punctuation and folding runs of spaces into one) '
'withdraws consent when consent is false (STOP, BAJA, ...) and gives it when true (START, ALTA, ...). A word listed '
'with both meanings counts as withdrawing. word: as a person types it, without trailing punctuation (Stopp, not '
'Stopp!). A DBA adds words with INSERT (as the owner); record_inbound_message reads them at each reply. CANCEL is '
'not a consent word: it cancels a booking.';

INSERT INTO scheduling.consent_keywords (language, word, consent) VALUES
('en', 'STOP', FALSE), ('en', 'STOPALL', FALSE), ('en', 'UNSUBSCRIBE', FALSE), ('en', 'QUIT', FALSE),
('en', 'START', TRUE), ('en', 'UNSTOP', TRUE), ('en', 'SUBSCRIBE', TRUE),
('es', 'BAJA', FALSE), ('es', 'PARAR', FALSE), ('es', 'CANCELAR SUSCRIPCION', FALSE),
('es', 'CANCELAR SUSCRIPCIÓN', FALSE), ('es', 'ALTA', TRUE),
('de', 'STOPP', FALSE), ('de', 'ABMELDEN', FALSE), ('de', 'ANMELDEN', TRUE),
('fr', 'ARRET', FALSE), ('fr', 'ARRÊT', FALSE), ('fr', 'DESABONNER', FALSE), ('fr', 'DÉSABONNER', FALSE),
('fr', 'DEMARRER', TRUE), ('fr', 'DÉMARRER', TRUE),
('pt_BR', 'PARAR', FALSE), ('pt_BR', 'SAIR', FALSE), ('pt_BR', 'VOLTAR', TRUE),
('sv', 'STOPPA', FALSE), ('sv', 'AVSLUTA', FALSE), ('sv', 'STARTA', TRUE);

ALTER TABLE scheduling.inbound_messages DROP CONSTRAINT inbound_messages_action_known;

ALTER TABLE scheduling.inbound_messages ADD CONSTRAINT inbound_messages_action_known CHECK (
    action IN ('cancelled_booking', 'nothing_to_cancel', 'unknown_sender', 'stored', 'opted_out', 'opted_in', 'already')
);

COMMENT ON TABLE scheduling.inbound_messages IS
'Messages people sent to our WhatsApp number, once per provider and provider message id (a replayed webhook '
'returns the stored outcome). from_phone is E.164 with +; body is cut to 4096 characters (WhatsApp''s limit); '
'in_reply_to is the provider message id the person replied to; received_at the provider''s time, recorded_at the '
'p_now of the call. person_id: the sender (NULL when no person has that phone). action: cancelled_booking '
'(booking_id is the booking a CANCEL cancelled), nothing_to_cancel, unknown_sender, opted_out and opted_in (a '
'word of scheduling.consent_keywords withdrew or gave WhatsApp consent; the change is in consent_changes with this '
'row''s id), already (such a word, but consent already had that value), stored (any other text). booking_id has no '
'foreign key: bookings move to bookings_archive with their ids. Written by record_inbound_message only.';
