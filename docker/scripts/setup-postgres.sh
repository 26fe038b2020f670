#!/bin/sh
# Creates and migrates Temporal's two PostgreSQL databases: `temporal` (executions, histories)
# and `temporal_visibility` (what list/search queries and the UI read).
#
# Run by the one-shot `temporal-schema` service of docker-compose.yml (admin-tools image) before
# the server starts, on every `docker compose up`: `create` accepts an existing database,
# `setup-schema -v 0.0` only adds the version bookkeeping, and `update-schema` applies just the
# migrations a database has not seen yet, so re-running it is how the schema follows an upgrade
# of the server image.
set -eu

: "${POSTGRES_SEEDS:=postgresql}"
: "${DB_PORT:=5432}"
: "${POSTGRES_USER:=temporal}"
: "${POSTGRES_PWD:?POSTGRES_PWD must hold the PostgreSQL password}"
# temporal-sql-tool reads the password from SQL_PASSWORD rather than from a flag (keeps it out of ps).
SQL_PASSWORD="${SQL_PASSWORD:-$POSTGRES_PWD}"
export SQL_PASSWORD

SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

sql_tool() {
    temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" \
        -u "$POSTGRES_USER" "$@"
}

# database-name:schema-folder pairs
for pair in temporal:temporal temporal_visibility:visibility; do
    database="${pair%%:*}"
    schema="${pair##*:}"
    echo "setting up database $database"
    sql_tool --db "$database" create
    sql_tool --db "$database" setup-schema -v 0.0
    sql_tool --db "$database" update-schema -d "$SCHEMA_DIR/$schema/versioned"
done
echo "PostgreSQL schema is up to date"
