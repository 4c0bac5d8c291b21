#!/bin/sh
# Like the real image's /opt/guacamole/bin/initdb.sh: prints the schema of the given database.
case "${1:-}" in
  --postgresql) cat /opt/guacamole/extensions/guacamole-auth-jdbc/postgresql/schema/*.sql ;;
  *) echo "usage: initdb.sh --postgresql" >&2; exit 1 ;;
esac
