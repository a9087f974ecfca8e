-- Session transitions by time: scheduling.metrics_snapshot counts the status changes of the last hour by kind
-- (action) at every Prometheus scrape. The index on happened_at, carrying action, answers that from the index alone
-- (one short range scan), however long the history grows. Writes to session_status_history wait while it is built.

CREATE INDEX session_status_history_happened_at_idx ON scheduling.session_status_history (happened_at) INCLUDE (
    action
);
