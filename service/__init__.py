"""The services under the routes: typed Temporal calls, the one mapping of refusals to HTTP
answers, and the repository lookups of each job (cases, intake, reads)."""
