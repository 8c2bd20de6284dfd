#!/usr/bin/env bash
# orderflow's JSONata evaluation against jsonata-js 2.0.6 (npm), the version Step Functions runs,
# on the same reference expressions in the same run: `cargo bench --bench jsonata` (divan,
# median), then jsonata-js in node (median of five rounds). Prints evaluations per second of
# both and their ratio. Needs node and npm (jsonata@2.0.6 is installed under target/ci-tools).
set -euo pipefail
cd "$(dirname "$0")/../.."

tools=target/ci-tools/jsonata
if [ ! -f "$tools/node_modules/jsonata/package.json" ]; then
  mkdir -p "$tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" jsonata@2.0.6 >/dev/null
fi
fixtures=orderflow-codegen/tests/jsonata-reference

rust_line="$(cargo bench -q -p orderflow-codegen --bench jsonata 2>/dev/null | grep -A1 'evaluate_reference_expressions' | tail -1)"
echo "divan: $rust_line"
# The median column of divan's items/s line (fastest │ slowest │ median │ mean): field 3.
rust_rate="$(echo "$rust_line" | awk -F'│' '{print $3}' | sed 's/ //g')"
js="$(node "$fixtures/bench.mjs" "$tools/node_modules/jsonata" "$fixtures/cases.json")"
js_rate="$(echo "$js" | sed 's/.*"evaluationsPerSecond":\([0-9]*\).*/\1/')"
python3 - "$rust_rate" "$js_rate" <<'PY'
import sys
def per_second(text):
    units = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9}
    number = text.rstrip("item/s").strip()
    suffix = number[-1] if number[-1] in "KMG" else ""
    return float(number[:-1] if suffix else number) * units[suffix]
rust, js = per_second(sys.argv[1]), float(sys.argv[2])
print(f"orderflow (jsonata-core + Step Functions functions): {rust:,.0f} evaluations/s")
print(f"jsonata-js 2.0.6 (node):                             {js:,.0f} evaluations/s")
print(f"ratio: {rust / js:.2f}x")
PY
