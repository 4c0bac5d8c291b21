#!/bin/bash
# Stand-in for guacamole/guacamole's entrypoint: 1.6's renaming of legacy variables, the variables
# the webapp cannot start without, a login to the database with them, then guac-sim (the REST API
# simulator, test/guac-sim) on 8080 under /guacamole. Its users and connections are kept in a
# file in the container, not in PostgreSQL: they survive a restart, not a recreation.
set -eu
if [ -n "${POSTGRESQL_USER:-}" ] && [ -z "${POSTGRESQL_USERNAME:-}" ]; then
  echo "webapp stand-in: POSTGRESQL_USER is deprecated, use POSTGRESQL_USERNAME"
  export POSTGRESQL_USERNAME=$POSTGRESQL_USER
fi
for v in GUACD_HOSTNAME POSTGRESQL_HOSTNAME POSTGRESQL_DATABASE POSTGRESQL_USERNAME POSTGRESQL_PASSWORD; do
  [ -n "${!v:-}" ] || { echo "webapp stand-in: $v is not set" >&2; exit 1; }
done
until PGPASSWORD=$POSTGRESQL_PASSWORD psql -h "$POSTGRESQL_HOSTNAME" -U "$POSTGRESQL_USERNAME" \
  -d "$POSTGRESQL_DATABASE" -tAc 'select 1' >/dev/null 2>&1; do
  sleep 1
done
echo "webapp stand-in: database login ok; settings: $(env | grep -oE '^(POSTGRESQL|OPENID|TOTP|BAN|REMOTE_IP_VALVE|RECORDING)_[A-Z_]*' | sort | tr '\n' ' ')"
exec node /opt/guac-sim/guac-sim.mjs --host 0.0.0.0 --port 8080 --state-file /tmp/guac-sim-state.json
