-- reminder_status called a reminder's planned time scheduled_for while the table calls it due_at. CREATE OR REPLACE
-- VIEW cannot rename a column, so the view is dropped here (a fresh install has none yet);
-- sql/views/reminder_status.sql makes it again, with due_at and its grant, right after the migrations.

DROP VIEW IF EXISTS scheduling.reminder_status;
