"""sessionkeeper's command-line tool: set-up, migrations, the embedded database and the worker."""
