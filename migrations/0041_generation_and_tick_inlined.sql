-- Throughput of generation and tick.
--
-- Generation expands the occurrences of all its templates in one set (each distinct rule and window once):
-- occurrences_to_generate now takes an array of template ids instead of one template row. The new function is
-- created from sql/functions after the migrations; its callers (generate_templates, preview) are re-created with it.
DROP FUNCTION IF EXISTS scheduling_internal.occurrences_to_generate(scheduling.session_templates, integer, timestamptz);

-- session_step_due becomes a table function of one row, which the planner inlines into tick's statement instead
-- of calling it per due session; a function's result type cannot change in place.
DROP FUNCTION IF EXISTS scheduling_internal.session_step_due(
    scheduling.session_status, scheduling.session_start_mode, boolean, timestamptz, timestamptz, timestamptz
);
