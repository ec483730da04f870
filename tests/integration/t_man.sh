#!/usr/bin/env bash
# The man pages render without warnings, and the option reference in
# sluice.yaml(5) is the one the option tables generate (run `make man`).
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

sh "$top/man/generate.sh" "$SLUICE" >"$T/sluice.yaml.5"
if cmp -s "$T/sluice.yaml.5" "$top/man/sluice.yaml.5"; then
    ok "sluice.yaml.5 matches the option tables"
else
    not_ok "sluice.yaml.5 matches the option tables" "run: make man" \
        "$(diff "$top/man/sluice.yaml.5" "$T/sluice.yaml.5" | head -20)"
fi
for page in sluice.8 sluice.yaml.5; do
    warnings=$(groff -man -ww -z "$top/man/$page" 2>&1)
    check "$page renders without warnings" [ -z "$warnings" ]
done
check "every plugin is documented" \
    [ "$(grep -c '^\.SS \(source\|handler\|destination\) ' "$top/man/sluice.yaml.5")" -eq \
      "$("$SLUICE" --plugins | grep -c '^  ')" ]
finish
