#!/bin/sh
# One-shot job run in the temporalio/admin-tools image before the Temporal server starts: creates
# (if missing) and migrates Temporal's two PostgreSQL databases with temporal-sql-tool.
#
# Safe on every `docker compose up`: an "already exists" answer to create-database is accepted,
# setup-schema keeps a recorded version newer than 0.0, and update-schema applies only the
# versions newer than the recorded one (which is also how a Temporal upgrade migrates the schema:
# bump the image tags, then `docker compose up`).
#
# POSIX sh on purpose: newer admin-tools images are plain Alpine without bash.
set -eu

: "${SQL_PLUGIN:=postgres12}"
: "${SQL_HOST:?SQL_HOST must be set}"
: "${SQL_PORT:=5432}"
: "${SQL_USER:?SQL_USER must be set}"
: "${SQL_PASSWORD:?SQL_PASSWORD must be set}"
: "${TEMPORAL_DB:=temporal}"
: "${TEMPORAL_VISIBILITY_DB:=temporal_visibility}"
: "${SCHEMA_ROOT:=/etc/temporal/schema/postgresql/v12}"
# temporal-sql-tool reads the password from SQL_PASSWORD; it stays off the command line.
export SQL_PASSWORD

log() {
    echo "[temporal-schema] $*"
}

sql_tool() {
    temporal-sql-tool --plugin "$SQL_PLUGIN" --endpoint "$SQL_HOST" --port "$SQL_PORT" \
        --user "$SQL_USER" "$@"
}

# create_database <name>: create it, or accept that it is already there.
create_database() {
    if output=$(sql_tool --database "$1" create-database 2>&1); then
        log "created database $1"
        return 0
    fi
    case $output in
        *"already exists"*)
            log "database $1 already exists"
            return 0
            ;;
    esac
    echo "$output" >&2
    log "could not create database $1"
    return 1
}

# migrate <database> <versioned schema dir>
migrate() {
    if [ ! -d "$2" ]; then
        log "schema directory $2 not found in this image"
        return 1
    fi
    sql_tool --database "$1" setup-schema -v 0.0
    sql_tool --database "$1" update-schema -d "$2"
    log "database $1 is at the latest schema in $2"
}

# Compose starts this job only once PostgreSQL reports healthy (depends_on: service_healthy).
create_database "$TEMPORAL_DB"
create_database "$TEMPORAL_VISIBILITY_DB"

migrate "$TEMPORAL_DB" "${SCHEMA_ROOT}/temporal/versioned"
migrate "$TEMPORAL_VISIBILITY_DB" "${SCHEMA_ROOT}/visibility/versioned"

log "done"
