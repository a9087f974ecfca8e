"""`sessionkeeper serve`: the operators' dashboard in the browser.

One aiohttp process renders one page (``/``) from the database, keeps its live part (sessions, the reminder queue)
current through server-sent events fed by PostgreSQL's NOTIFY, and takes the few actions an operator may take
(retry failed reminders) as POSTs guarded by an operator token and a CSRF token.

Modules: ``app`` (routes and the server), ``queries`` (what the page reads), ``chart`` (the hourly SVG),
``auth`` (operator token, sign-in sessions, CSRF), ``events`` (LISTEN -> server-sent events).
"""
