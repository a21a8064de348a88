#!/bin/sh
# Run once by the postgres image on an empty volume (docker-compose.yml mounts it into
# /docker-entrypoint-initdb.d): plyr gets its own role and database next to Temporal's,
# with the password from PLYR_DB_PASSWORD. psql quotes the password (:'pw'), so any
# characters are safe here; DATABASE_URL in docker-compose.yml needs URL-safe ones.
set -eu
: "${PLYR_DB_PASSWORD:?set PLYR_DB_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v pw="$PLYR_DB_PASSWORD" <<'SQL'
CREATE ROLE plyr LOGIN PASSWORD :'pw';
CREATE DATABASE plyr OWNER plyr;
SQL
