-- Languages as data: the language codes WhatsApp accepts for template messages, and a language per person.
--
--   languages        one row per code (en, en_US, pt_BR, ...): what people.language may name
--   people.language  the person's language, NULL = no preference (the reminder policy's language applies)

CREATE TABLE scheduling.languages (
    code text PRIMARY KEY,
    english_name text NOT NULL,
    CONSTRAINT languages_code_form CHECK (code ~ '^[a-z]{2,3}(_[A-Z]{2})?$'),
    CONSTRAINT languages_english_name_not_blank CHECK (btrim(english_name) <> '')
);

COMMENT ON TABLE scheduling.languages IS
'The language codes a person or a message template may carry: those WhatsApp accepts for template messages '
'(a two or three letter code, with _REGION for a regional variant: en, en_US, pt_BR). A DBA may add rows.';

INSERT INTO scheduling.languages (code, english_name) VALUES
('af', 'Afrikaans'), ('ar', 'Arabic'), ('az', 'Azerbaijani'), ('bg', 'Bulgarian'), ('bn', 'Bengali'),
('ca', 'Catalan'), ('cs', 'Czech'), ('da', 'Danish'), ('de', 'German'), ('el', 'Greek'), ('en', 'English'),
('en_GB', 'English (UK)'), ('en_US', 'English (US)'), ('es', 'Spanish'), ('es_AR', 'Spanish (Argentina)'),
('es_ES', 'Spanish (Spain)'), ('es_MX', 'Spanish (Mexico)'), ('et', 'Estonian'), ('fa', 'Persian'),
('fi', 'Finnish'), ('fil', 'Filipino'), ('fr', 'French'), ('ga', 'Irish'), ('gu', 'Gujarati'), ('ha', 'Hausa'),
('he', 'Hebrew'), ('hi', 'Hindi'), ('hr', 'Croatian'), ('hu', 'Hungarian'), ('id', 'Indonesian'),
('it', 'Italian'), ('ja', 'Japanese'), ('ka', 'Georgian'), ('kk', 'Kazakh'), ('kn', 'Kannada'), ('ko', 'Korean'),
('ky_KG', 'Kyrgyz'), ('lo', 'Lao'), ('lt', 'Lithuanian'), ('lv', 'Latvian'), ('mk', 'Macedonian'),
('ml', 'Malayalam'), ('mr', 'Marathi'), ('ms', 'Malay'), ('nb', 'Norwegian'), ('nl', 'Dutch'),
('pa', 'Punjabi'), ('pl', 'Polish'), ('pt_BR', 'Portuguese (Brazil)'), ('pt_PT', 'Portuguese (Portugal)'),
('ro', 'Romanian'), ('ru', 'Russian'), ('rw_RW', 'Kinyarwanda'), ('sk', 'Slovak'), ('sl', 'Slovenian'),
('sq', 'Albanian'), ('sr', 'Serbian'), ('sv', 'Swedish'), ('sw', 'Swahili'), ('ta', 'Tamil'), ('te', 'Telugu'),
('th', 'Thai'), ('tr', 'Turkish'), ('uk', 'Ukrainian'), ('ur', 'Urdu'), ('uz', 'Uzbek'), ('vi', 'Vietnamese'),
('zh_CN', 'Chinese (China)'), ('zh_HK', 'Chinese (Hong Kong)'), ('zh_TW', 'Chinese (Taiwan)'), ('zu', 'Zulu');

ALTER TABLE scheduling.people ADD COLUMN language text REFERENCES scheduling.languages (code);

COMMENT ON COLUMN scheduling.people.language IS
'The language messages to this person are written in when a template exists in it (scheduling.languages); '
'NULL = no preference: the reminder policy''s language.';
