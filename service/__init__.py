"""The services under the routes: each holds the typed Temporal calls and repository lookups of one job."""
