#!/bin/sh
# Kaname's container entry point: create the workspace on first start (its store URLs come from
# KANAME_WAREHOUSE_URL and KANAME_APP_DB_URL, which are never written into kaname.yaml), then
# run the given kaname command (default: serve). docs/deploy.md.
set -eu
workspace="${KANAME_WORKSPACE:-/data/workspace}"
if [ ! -f "$workspace/kaname.yaml" ]; then
    kaname init "$workspace" --language "${KANAME_LANGUAGE:-ja}"
fi
exec kaname "$@"
