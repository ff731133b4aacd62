"""Low-level plumbing shared by the API, the worker and the CLI: settings, logging, the
PostgreSQL pool and migrator, the Temporal connection. Imports nothing above domain/."""
