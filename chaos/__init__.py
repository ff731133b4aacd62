"""The chaos suite: case lifecycles through the API while parts of the stack are killed
(`make chaos`, and `--short` in `make test`); a tool beside the service, like tests/."""
