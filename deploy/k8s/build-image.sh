#!/usr/bin/env bash
# Builds the sparknmt image (deploy/k8s/Dockerfile) from the application jar of this checkout.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: deploy/k8s/build-image.sh [TAG] [BUILD_OPTIONS...]

Builds deploy/k8s/Dockerfile with the repository root as context, passing the Java options the
application jar prints (org.sparknmt.jobs.JvmOptions) as SPARKNMT_JAVA_OPTIONS.
TAG defaults to sparknmt/sparknmt:0.1.0 (the image the manifests in deploy/ name); BUILD_OPTIONS go
to the build, e.g. --build-arg SPARK_IMAGE=apache/spark:3.5.8-scala2.12-java17-ubuntu.

Environment:
  CONTAINER_BUILD  the build command: "docker build" (default), "podman build" or "buildah bud"
USAGE
}

case "${1:-}" in -h|--help) usage; exit 0 ;; esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
APP_JAR=$ROOT/spark-jobs/target/sparknmt-app.jar   # what the Dockerfile copies
[ -f "$APP_JAR" ] || { echo "error: application jar $APP_JAR not found (mvn -DskipTests package)" >&2; exit 2; }
TAG=sparknmt/sparknmt:0.1.0
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then TAG=$1; shift; fi
read -r -a BUILD <<<"${CONTAINER_BUILD:-docker build}"
JAVA_OPTIONS=$(java -cp "$APP_JAR" org.sparknmt.jobs.JvmOptions)
exec "${BUILD[@]}" -f "$ROOT/deploy/k8s/Dockerfile" \
  --build-arg "SPARKNMT_JAVA_OPTIONS=$JAVA_OPTIONS" -t "$TAG" "$@" "$ROOT"
