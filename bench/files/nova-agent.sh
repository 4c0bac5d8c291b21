#!/bin/sh
# nova-agent: stand-in for the NovaStation agent, the service of the benchmark's host-prep role.
set -eu
if [ "${1:-}" = --init ]; then
  printf 'initialized\n' > /var/lib/novastation/initialized
  exit 0
fi
exec sleep infinity
