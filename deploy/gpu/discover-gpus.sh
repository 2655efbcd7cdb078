#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript): prints the GPUs of this
# host as Spark's ResourceInformation JSON, e.g. {"name":"gpu","addresses":["0","1"]}.
# Not exercised on the project's machines (no GPU).
set -euo pipefail
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo '{"name":"gpu","addresses":[]}'
  exit 0
fi
addrs=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed 's/ //g' | awk '{printf "%s\"%s\"", (NR>1?",":""), $1}')
echo "{\"name\":\"gpu\",\"addresses\":[${addrs}]}"
