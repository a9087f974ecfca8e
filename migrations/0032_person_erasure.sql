-- Erasure: a person's name, phone and the text they wrote can be removed for good (erase_person), keeping the
-- rows, ids and counts they belong to.
--
--   people.erased_at, erased_by, erased_reason   when, by whom and why the person was erased (NULL: never)
--   people_erased_has_no_contact                 an erased person is deleted and has no phone, language or consent
--   inbound_messages(_archive).from_phone        may be NULL: the sender of an erased message is gone with its body

ALTER TABLE scheduling.people
ADD COLUMN erased_at timestamptz,
ADD COLUMN erased_by text,
ADD COLUMN erased_reason text;

ALTER TABLE scheduling.people ADD CONSTRAINT people_erased_has_no_contact CHECK (
    (erased_at IS NULL AND erased_by IS NULL AND erased_reason IS NULL)
    OR (
        erased_at IS NOT NULL AND erased_by IS NOT NULL AND erased_reason IS NOT NULL
        AND deleted_at IS NOT NULL AND phone IS NULL AND language IS NULL AND NOT whatsapp_consent
    )
);

COMMENT ON COLUMN scheduling.people.erased_at IS
'When erase_person removed this person''s personal data (its p_now); NULL for a person never erased. An erased '
'person keeps its id, bookings and history, under the name ''erased person'', without phone, language or consent.';

COMMENT ON COLUMN scheduling.people.erased_by IS 'Who erased the person (erase_person''s p_actor); NULL unless erased.';

COMMENT ON COLUMN scheduling.people.erased_reason IS
'Why the person was erased (erase_person''s p_reason, with the person''s name and phone taken out); NULL unless '
'erased.';

COMMENT ON CONSTRAINT people_erased_has_no_contact ON scheduling.people IS
'An erased person (erased_at set, with erased_by and erased_reason) is deleted and has no phone, no language and '
'no WhatsApp consent: nothing may reach them again.';

ALTER TABLE scheduling.inbound_messages ALTER COLUMN from_phone DROP NOT NULL;

ALTER TABLE scheduling.inbound_messages ADD CONSTRAINT inbound_messages_erased_has_no_body CHECK (
    from_phone IS NOT NULL OR body IS NULL
);

COMMENT ON COLUMN scheduling.inbound_messages.from_phone IS
'The sender''s phone, E.164 with +; NULL once the sender was erased (erase_person), together with body.';

COMMENT ON CONSTRAINT inbound_messages_erased_has_no_body ON scheduling.inbound_messages IS
'A message whose sender was erased (from_phone NULL) keeps no body either.';

ALTER TABLE scheduling.inbound_messages_archive ALTER COLUMN from_phone DROP NOT NULL;

COMMENT ON COLUMN scheduling.inbound_messages_archive.from_phone IS
'The sender''s phone, E.164 with +; NULL once the sender was erased (erase_person), together with body.';
