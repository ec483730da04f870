#!/bin/sh
# tests/peers/s3/install.sh: install the S3 test peer's npm packages into
# tests/peers/s3/node_modules, exactly as pinned by package-lock.json.
# Idempotent: does nothing when node_modules was installed from the current
# package-lock.json (a stamp holds the lock file's SHA-256). Needs node and
# npm (Debian package nodejs; the machine images ship Node.js 20 with npm).
set -eu
cd "$(dirname "$0")"

for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "install.sh: $tool not found: install Node.js >= 18 and npm (contrib/deps.sh test)" >&2
        exit 1
    }
done

stamp=node_modules/.sluice-lock-sha256
want=$(sha256sum package-lock.json package.json | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ -d node_modules/s3rver ] && [ -d node_modules/@smithy/signature-v4 ] &&
   [ -d node_modules/@smithy/hash-node ]; then
    exit 0
fi

echo "install.sh: npm ci in $(pwd)" >&2
# --ignore-scripts: none of these packages needs an install script.
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2
echo "$want" > "$stamp"
