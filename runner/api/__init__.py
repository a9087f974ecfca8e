"""The HTTP API that `sessionkeeper serve` offers apps that cannot hold a database connection (routes, errors,
the OpenAPI document, the per-request transaction as the application role)."""
