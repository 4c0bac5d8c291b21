#!/bin/sh
# Stand-in for guacamole/guacd: listens on 4822 as uid 1000 like the real one, and logs the level
# it was given the way the 1.6 entrypoint reads it. It speaks no Guacamole protocol.
echo "guacd stand-in: log level ${LOG_LEVEL:-${GUACD_LOG_LEVEL:-info}}"
exec nc -dlk 0.0.0.0 4822
