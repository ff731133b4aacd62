#!/bin/bash
# Creates the roles and databases of the inquiry stack. The postgres image runs this once, as the
# superuser, from /docker-entrypoint-initdb.d when the data volume is empty; later changes to the
# passwords below must be applied by hand (ALTER ROLE ... PASSWORD ...).
#
#   inquiries            owned by APP_DB_USER       (the application; `inquiry migrate` fills it)
#   temporal             owned by TEMPORAL_DB_USER  (Temporal persistence)
#   temporal_visibility  owned by TEMPORAL_DB_USER  (Temporal SQL visibility)
#
# The Temporal role may also create databases, so the temporal-schema job can recreate its two
# databases on a volume that predates this script. Neither role can connect to the other's data.
# No `set -u`: the image sources (rather than executes) this file when it is not executable.
set -eo pipefail

: "${POSTGRES_USER:?POSTGRES_USER must be set}"
: "${APP_DB_USER:?APP_DB_USER must be set}"
: "${APP_DB_PASSWORD:?APP_DB_PASSWORD must be set}"
: "${TEMPORAL_DB_USER:?TEMPORAL_DB_USER must be set}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD must be set}"

psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v app_user="$APP_DB_USER" -v app_password="$APP_DB_PASSWORD" \
    -v temporal_user="$TEMPORAL_DB_USER" -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password';
CREATE ROLE :"temporal_user" LOGIN CREATEDB PASSWORD :'temporal_password';

CREATE DATABASE inquiries OWNER :"app_user" ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE temporal OWNER :"temporal_user" ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE temporal_visibility OWNER :"temporal_user" ENCODING 'UTF8' TEMPLATE template0;

REVOKE ALL ON DATABASE inquiries FROM PUBLIC;
REVOKE ALL ON DATABASE temporal FROM PUBLIC;
REVOKE ALL ON DATABASE temporal_visibility FROM PUBLIC;
SQL

echo "init-databases: created inquiries (owner ${APP_DB_USER}), temporal and temporal_visibility (owner ${TEMPORAL_DB_USER})"
