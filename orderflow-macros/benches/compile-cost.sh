#!/usr/bin/env bash
# Compile-time cost of #[derive(StepInput)]: a crate with 50 structs deriving Deserialize +
# StepInput against one with the same 50 structs deriving Deserialize only. Each variant is
# rebuilt RUNS times after touching its source (dependencies stay built); the medians and the
# per-derive difference are printed. Usage: orderflow-macros/benches/compile-cost.sh [RUNS]
set -euo pipefail
runs=${1:-7}
root=$(cd "$(dirname "$0")/../.." && pwd)
work="$root/target/compile-cost"
export CARGO_TARGET_DIR="$work/target"
mkdir -p "$work"

make_crate() { # name, derives
  local dir="$work/$1"
  mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<TOML
[package]
name = "$1"
version = "0.0.0"
edition = "2024"
publish = false
[dependencies]
orderflow-runtime = { path = "$root/orderflow-runtime" }
serde = { version = "1", features = ["derive"] }
[workspace]
TOML
  {
    echo "#![allow(dead_code)]"
    for i in $(seq 1 50); do
      echo "#[derive(serde::Deserialize$2)]"
      if [ -n "$2" ]; then
        echo "#[step(workflow = \"$root/orderflow-macros/tests/definitions/books\", function = \"lookupBook\")]"
      fi
      echo "#[serde(rename_all = \"camelCase\")]"
      echo "pub struct Request$i { pub book_id: String, pub quantity: u32, pub gift_note: Option<String> }"
    done
  } > "$dir/src/lib.rs"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

measure() { # crate dir -> median milliseconds
  local dir="$work/$1"
  (cd "$dir" && cargo build -q --offline 2>/dev/null || cargo build -q)
  for _ in $(seq 1 "$runs"); do
    touch "$dir/src/lib.rs"
    local start end
    start=$(date +%s%N)
    (cd "$dir" && cargo build -q)
    end=$(date +%s%N)
    echo $(( (end - start) / 1000000 ))
  done | median
}

make_crate plain ""
make_crate derived ", orderflow_runtime::StepInput"
plain=$(measure plain)
derived=$(measure derived)
per=$(awk -v d="$derived" -v p="$plain" 'BEGIN { printf "%.2f", (d - p) / 50 }')
ratio=$(awk -v d="$derived" -v p="$plain" 'BEGIN { printf "%.2f", d / p }')
echo "50 x #[derive(Deserialize)]:             median ${plain} ms (baseline)"
echo "50 x #[derive(Deserialize, StepInput)]:  median ${derived} ms (${ratio}x baseline)"
echo "cost per StepInput derive: ${per} ms (floor: under 5 ms)"
