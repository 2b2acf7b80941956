#!/bin/sh
# After install or upgrade: the jkbalancer system user, and systemd told
# about the units. Nothing is enabled or started: see
# /usr/share/doc/jkbalancer/deploy.md.
set -e
if command -v systemd-sysusers >/dev/null 2>&1; then
	systemd-sysusers /usr/lib/sysusers.d/jkbalancer.conf
elif ! getent passwd jkbalancer >/dev/null 2>&1 && command -v useradd >/dev/null 2>&1; then
	useradd --system --user-group --home-dir /var/lib/jkbalancer --no-create-home \
		--shell /usr/sbin/nologin --comment "jkbalancer load balancer" jkbalancer
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
exit 0
