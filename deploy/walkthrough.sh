#!/usr/bin/env bash
# A five-minute local walk-through on real data: publish the World Bank GDP
# table, tag it, publish a correction, then look at the log, the diff between
# versions, a record's history and each cell's provenance.
# Usage: deploy/walkthrough.sh [path/to/kongsi]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
kongsi="${1:-$here/build/bin/kongsi}"
data="$here/../shared/data"
work="$(mktemp -d -t kongsi-walkthrough-XXXXXX)"
trap 'rm -rf "$work"' EXIT
export KONGSI_DATA="$work/budget-watch"

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "Make a node for one organisation (a key pair and a database)" \
  "$kongsi" init --name "Budget Watch"
step "Create a collection to share with partners" \
  "$kongsi" collection create world-indicators --description "GDP and population, pooled"
step "Publish the World Bank GDP table, keyed by country and year" \
  "$kongsi" publish "$data/gdp/data/gdp.csv" --collection world-indicators --dataset gdp \
  --key "Country Code,Year" --message "World Bank GDP, current US$"
step "Name this version" \
  "$kongsi" tag create first-release --collection world-indicators

# A correction: two cells change in a copy of the file.
sed -e 's/^Indonesia,IDN,2014,.*/Indonesia,IDN,2014,890814755233.2/' \
    -e 's/^Malaysia,MYS,2014,.*/Malaysia,MYS,2014,338069000000/' \
    "$data/gdp/data/gdp.csv" > "$work/gdp-corrected.csv"
step "Publish the corrected file: only the changed cells become ops" \
  "$kongsi" publish "$work/gdp-corrected.csv" --collection world-indicators --dataset gdp \
  --message "Correct 2014 figures for IDN and MYS"
step "Publishing the same file again changes nothing" \
  "$kongsi" publish "$work/gdp-corrected.csv" --collection world-indicators --dataset gdp
step "The commit log" "$kongsi" log --collection world-indicators
step "What changed since the tag" \
  "$kongsi" diff --collection world-indicators --from first-release
step "The history of one record" \
  "$kongsi" history --collection world-indicators --dataset gdp --key IDN,2014
step "Cells with their contributing organisation (first rows)" \
  bash -c "\"$kongsi\" export --collection world-indicators --dataset gdp --provenance | head -4"
step "The old version is still readable" \
  bash -c "\"$kongsi\" export --collection world-indicators --dataset gdp --as-of first-release | grep '^Indonesia,IDN,2014'"
step "A digest of the whole state: equal digests mean equal data on every node" \
  "$kongsi" digest --collection world-indicators
step "Node status" "$kongsi" status
printf '\nDone. The walk-through used a temporary data dir, now removed.\n'
