#!/bin/sh
# nova-health: exits 0 when the NovaStation agent is running (installed by the host-prep role).
set -eu
systemctl is-active --quiet nova-agent.service
echo "nova-agent: running"
