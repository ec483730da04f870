#!/usr/bin/env bash
# `make install DESTDIR=... PREFIX=...` installs exactly the expected files,
# never overwrites an existing config, and `make uninstall` removes them.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(dirname "$SLUICE")

make -s -C "$top" BUILD="$build" DESTDIR="$T/root" PREFIX=/usr install >"$T/install.log" 2>&1
check "make install succeeds" [ $? -eq 0 ]
(cd "$T/root" && find . -type f | LC_ALL=C sort) >"$T/files"
cat >"$T/expected" <<'LIST'
./etc/sluice/sluice.yaml
./usr/bin/sluice
./usr/lib/systemd/system/sluice.service
./usr/share/man/man5/sluice.yaml.5
./usr/share/man/man8/sluice.8
LIST
check "exactly the expected files" cmp -s "$T/expected" "$T/files"
check "the binary is executable" [ -x "$T/root/usr/bin/sluice" ]
check "the unit runs the installed binary" \
    grep -q '^ExecStart=/usr/bin/sluice -c /etc/sluice/sluice.yaml$' "$T/root/usr/lib/systemd/system/sluice.service"
check "the installed default config is valid" \
    "$T/root/usr/bin/sluice" --check -c "$T/root/etc/sluice/sluice.yaml"
echo "# mine" >>"$T/root/etc/sluice/sluice.yaml"
make -s -C "$top" BUILD="$build" DESTDIR="$T/root" PREFIX=/usr install >"$T/install2.log" 2>&1
check "a second install keeps the operator's config" grep -q '^# mine$' "$T/root/etc/sluice/sluice.yaml"
make -s -C "$top" BUILD="$build" DESTDIR="$T/root" PREFIX=/usr uninstall >"$T/uninstall.log" 2>&1
check "make uninstall removes the binary, unit and pages" \
    [ "$(cd "$T/root" && find . -type f | LC_ALL=C sort)" = "./etc/sluice/sluice.yaml" ]
finish
