#!/usr/bin/env bash
# Builds dist/jkbalancer_VERSION_ARCH.deb and dist/jkbalancer-VERSION-1.ARCH.rpm
# with nfpm (deploy/package/nfpm.yaml). docs/deploy.md#packages.
#   deploy/package/build.sh            both packages
#   deploy/package/build.sh deb        only the .deb (what CI installs)
# VERSION (default: from git describe) and GOARCH (default: go env GOARCH)
# may be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/../.."
NFPM_VERSION=v2.48.0
formats=("${@:-deb rpm}")
read -r -a formats <<<"${formats[*]}"

export GOARCH="${GOARCH:-$(go env GOARCH)}"
if [ -z "${VERSION:-}" ]; then
	VERSION="$(git describe --tags --always --dirty 2>/dev/null || echo 0.0.0)"
	VERSION="${VERSION#v}"
	VERSION="${VERSION//-/.}"
	case "$VERSION" in [0-9]*) ;; *) VERSION="0.0.0+git${VERSION}" ;; esac
fi
export VERSION

root=dist/pkgroot
rm -rf "$root" && mkdir -p "$root"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o "$root/jkbalancer" ./cmd/jkbalancer
# The hand-installed unit runs /usr/local/bin/jkbalancer; the package's, /usr/bin/jkbalancer.
sed 's#/usr/local/bin/jkbalancer#/usr/bin/jkbalancer#g' deploy/systemd/jkbalancer.service >"$root/jkbalancer.service"

# nfpm pinned: a released nfpm from PATH when it is this version, else go run.
nfpm=(go run "github.com/goreleaser/nfpm/v2/cmd/nfpm@${NFPM_VERSION}")
if command -v nfpm >/dev/null && nfpm --version 2>/dev/null | grep -q "${NFPM_VERSION#v}"; then
	nfpm=(nfpm)
fi
for f in "${formats[@]}"; do
	"${nfpm[@]}" package --config deploy/package/nfpm.yaml --packager "$f" --target dist/
done
ls -l dist/*.deb dist/*.rpm 2>/dev/null || true
