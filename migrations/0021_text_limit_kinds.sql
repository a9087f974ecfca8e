-- scheduling_internal.check_text_length takes the kind of text (name, free_text, rrule, metadata) instead of
-- a number of characters: the limits are written once, in scheduling_internal.text_limit. sql/ creates the new
-- (text, text, text) function after this migration; the old (text, text, integer) one goes here, so that no
-- caller can keep passing a number of its own. Nothing calls it once sql/ is re-applied, in the same run.
DROP FUNCTION IF EXISTS scheduling_internal.check_text_length(text, text, integer);
