#!/bin/sh
# Before removal (not an upgrade: deb "remove", rpm "0"), stop the
# service and its socket. An upgrade leaves them running; restart the
# service afterwards (docs/deploy.md#upgrade-without-a-refused-connection).
set -e
case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then
		systemctl disable --now jkbalancer.socket jkbalancer.service >/dev/null 2>&1 || true
	fi
	;;
esac
exit 0
