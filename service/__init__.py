"""The case service under the routes: typed Temporal calls, refusals as answers, case reads."""
