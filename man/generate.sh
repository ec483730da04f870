#!/bin/sh
# man/generate.sh: sluice.yaml(5) = the hand-written part (sluice.yaml.5.in)
# with the option reference generated from the option tables in place of
# the @OPTIONS@ line. Usage: generate.sh path/to/sluice > sluice.yaml.5
set -eu
bin=$1
dir=$(dirname "$0")
opts=$(mktemp)
trap 'rm -f "$opts"' EXIT
"$bin" --man-options >"$opts"
sed -e "/^@OPTIONS@\$/{r $opts" -e 'd;}' "$dir/sluice.yaml.5.in"
