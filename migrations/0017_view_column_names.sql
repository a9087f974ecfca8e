-- One name per idea in the views. session_availability called a session's date in its own zone session_date, while
-- sessions_next_7_days calls it local_date (next to starts_at_local); recurring_templates_overview called the first
-- and last start of a template's live sessions earliest_session and latest_session, while workshop_run_summary says
-- first_starts_at. CREATE OR REPLACE VIEW cannot rename a column, so both views are dropped here (a fresh install
-- has none yet); their sql/views files make them again, with local_date, first_starts_at and last_starts_at and
-- their grants, right after the migrations.

DROP VIEW IF EXISTS scheduling.session_availability;

DROP VIEW IF EXISTS scheduling.recurring_templates_overview;
