#!/usr/bin/env bash
# Installs the .deb build.sh made (dpkg -i, as root), runs the installed
# binary's check against the installed sample configuration, checks the
# conffiles and the system user, and removes the package again.
# .ci/run runs it; docs/deploy.md#packages.
set -euo pipefail
cd "$(dirname "$0")/../.."
deb=$(ls -t dist/jkbalancer_*.deb | head -1)
if dpkg-query -W -f='${Status}' jkbalancer 2>/dev/null | grep -qv "not-installed"; then
	echo "jkbalancer is installed (or its configuration is kept): not touching it" >&2
	exit 1
fi
trap 'dpkg -P jkbalancer >/dev/null 2>&1 || true' EXIT
dpkg -i "$deb"
/usr/bin/jkbalancer version
# The secret as /etc/jkbalancer/jkbalancer.env would give it to the service.
if ! out=$(AJP_SECRET=ci-secret /usr/bin/jkbalancer check --config /etc/jkbalancer/jkbalancer.yaml 2>&1); then
	echo "$out" >&2
	echo "the installed check fails on the installed samples" >&2
	exit 1
fi
echo "$out"
for f in jkbalancer.yaml workers.properties uriworkermap.properties; do
	grep -qx "/etc/jkbalancer/$f" /var/lib/dpkg/info/jkbalancer.conffiles ||
		{ echo "/etc/jkbalancer/$f is not a conffile" >&2; exit 1; }
done
getent passwd jkbalancer >/dev/null || { echo "no jkbalancer user after install" >&2; exit 1; }
test -f /usr/lib/systemd/system/jkbalancer.socket
grep -q '^ExecStart=/usr/bin/jkbalancer serve' /usr/lib/systemd/system/jkbalancer.service
dpkg -r jkbalancer
test ! -e /usr/bin/jkbalancer
# Removed, not purged: the (possibly edited) configuration stays.
test -f /etc/jkbalancer/jkbalancer.yaml
dpkg -P jkbalancer
test ! -e /etc/jkbalancer/jkbalancer.yaml
trap - EXIT
echo "deb package: installed, checked, removed, purged"
