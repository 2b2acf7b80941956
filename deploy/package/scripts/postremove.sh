#!/bin/sh
# After removal: systemd forgets the units. The user, /etc/jkbalancer
# (until purge) and /var/lib/jkbalancer stay, as Debian policy asks.
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
exit 0
