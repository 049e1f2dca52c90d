#!/usr/bin/env bash
# The Debian package as a user gets it (ctest label `package`): built with CPack from this
# build, checked by lintian (no errors), its files listed, unpacked into a scratch root where
# auralis-node --version runs and the man pages render; as root (CI, a dev VM) also installed
# with dpkg -i: the service unit passes systemd-analyze verify, `man auralis-node` works,
# then it is purged again.
#   tests/package.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: package.sh BUILD_DIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$build" && cpack -G DEB -B "$work/out" >/dev/null)
deb=$(ls "$work"/out/auralis_*.deb)
echo "package: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
info=$(dpkg-deb --info "$deb")
grep -E "Package|Version|Depends|Section" <<<"$info"

contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/auralis ./usr/bin/auralis-node ./usr/bin/auralis-client \
         ./usr/share/man/man1/auralis-node.1.gz ./usr/share/man/man1/auralis.1.gz \
         ./usr/share/man/man1/auralis-client.1.gz ./usr/share/applications/auralis.desktop \
         ./usr/share/icons/hicolor/128x128/apps/auralis.png ./lib/systemd/system/auralis-node.service \
         ./etc/default/auralis-node ./usr/share/auralis/prometheus/alerts.yml \
         ./usr/share/auralis/grafana/auralis.json ./usr/share/auralis/icecast/master.xml \
         ./usr/share/doc/auralis/copyright; do
    grep -q " $f\$" <<<"$contents" || { echo "missing from the package: $f"; exit 1; }
done
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/default/auralis-node ]

if command -v lintian >/dev/null; then
    # Errors fail; warnings and notes are shown.
    lintian --fail-on error --tag-display-limit 0 "$deb" || { echo "lintian reports errors"; exit 1; }
fi

root="$work/root"
dpkg -x "$deb" "$root"
[ "$("$root/usr/bin/auralis-node" --version)" = "auralis-node 0.1.0" ]
[ "$(env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM= "$root/usr/bin/auralis" --version)" = "auralis 0.1.0" ]
for page in auralis auralis-node auralis-client; do
    warnings=$(MANWIDTH=80 man -l "$root/usr/share/man/man1/$page.1.gz" 2>&1 >/dev/null)
    [ -z "$warnings" ] || { echo "man page $page: $warnings"; exit 1; }
done
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$root/usr/share/applications/auralis.desktop"
fi

if [ "$(id -u)" -eq 0 ] && ! dpkg -s auralis >/dev/null 2>&1; then
    dpkg -i "$deb" >/dev/null
    trap 'dpkg --purge auralis >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
    systemd-analyze verify /lib/systemd/system/auralis-node.service
    [ "$(auralis-node --version)" = "auralis-node 0.1.0" ]
    page=$(MANWIDTH=80 man auralis-node 2>/dev/null)
    grep -q "ambient music to listeners" <<<"$page"
    dpkg --purge auralis >/dev/null
    echo "installed with dpkg -i, the unit verified, man auralis-node read, purged"
fi
echo "package ok"
