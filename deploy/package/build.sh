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
	# A release tag (v1.2.3, or v1.2.3-4-gHASH after it); without tags, 0.0.0+gitHASH.
	if VERSION="$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null)"; then
		VERSION="${VERSION#v}"
	else
		VERSION="0.0.0+git$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	fi
	VERSION="${VERSION//-/.}" # dpkg: the last "-" starts the package revision
fi
export VERSION

root=dist/pkgroot
rm -rf "$root" && mkdir -p "$root"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o "$root/jkbalancer" ./cmd/jkbalancer
# The hand-installed unit runs /usr/local/bin/jkbalancer; the package's, /usr/bin/jkbalancer.
sed 's#/usr/local/bin/jkbalancer#/usr/bin/jkbalancer#g' deploy/systemd/jkbalancer.service >"$root/jkbalancer.service"

# nfpm pinned to one release; go run builds it once into the build cache.
nfpm=(go run "github.com/goreleaser/nfpm/v2/cmd/nfpm@${NFPM_VERSION}")
rm -f dist/jkbalancer_*.deb dist/jkbalancer-*.rpm
for f in "${formats[@]}"; do
	"${nfpm[@]}" package --config deploy/package/nfpm.yaml --packager "$f" --target dist/
done
ls -l dist/*.deb dist/*.rpm 2>/dev/null || true
