#!/usr/bin/env bash
# The promotion story on a local Docker daemon and registry (scripts/test-env.sh up, or any
# daemon with a plain-HTTP registry on 127.0.0.1:5000): deploy to staging, promote the same
# digest to production, refuse a build whose health is bad, roll back one that fails
# post-promotion verification. Called by scripts/demo.sh; DEPLOY_ACTION_BIN picks the binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${DEPLOY_ACTION_BIN:-$root/target/release/deploy-action}
registry=${DEPLOY_ACTION_TEST_REGISTRY:-127.0.0.1:5000}
base=${DEPLOY_ACTION_TEST_BASE_IMAGE:-deploy-action-test/busybox:latest}
# The docker target's load balancer: the test environment's HAProxy (nothing is pulled).
export DEPLOY_ACTION_BALANCER_IMAGE=${DEPLOY_ACTION_BALANCER_IMAGE:-${DEPLOY_ACTION_TEST_HAPROXY_IMAGE:-deploy-action-test/haproxy:latest}}
staging_port=${DEMO_STAGING_PORT:-18091}
production_port=${DEMO_PRODUCTION_PORT:-18090}
repo="deploy-action-demo-$$/web-demo"
work=$(mktemp -d)
cleanup() {
  local c
  for c in deploy-action-web-demo-staging deploy-action-web-demo-production; do
    docker rm -f "$c" "$c-next" "$c-lb" "$c-old" "$c-prev" >/dev/null 2>&1 || true
    docker network rm "$c-net" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

git init -q -b main .
git config user.name demo && git config user.email demo@example.com

# build TAG HEALTH_JSON READY(yes|no): commit a busybox httpd app and build + push it with
# `deploy-action build` (tags sha-<7>, the SHA, main); prints "SHA DIGEST".
build() {
  rm -rf app && mkdir -p app/www
  printf 'demo app %s\n' "$1" >app/www/index.html
  printf '%s\n' "$2" >app/www/health
  [ "$3" = yes ] && printf 'ready\n' >app/www/ready
  printf 'FROM %s\nCOPY www /www\nCMD ["sh", "-c", "trap '"'"'exit 0'"'"' TERM; httpd -f -p 8080 -h /www & wait"]\n' "$base" >app/Dockerfile
  git add -A && git commit -q -m "app $1"
  "$bin" build --context app --image "$registry/$repo" --push --format json >"build-$1.json" 2>"build-$1.log" \
    || { cat "build-$1.log" >&2; exit 1; }
  printf '%s %s\n' "$(git rev-parse HEAD)" "$(sed -n 's/.*"digest": *"\(sha256:[0-9a-f]*\)".*/\1/p' "build-$1.json" | head -1)"
}

cat >promotion.yml <<POLICY
from: staging
to: production
gates:
  deployed: true
  same_digest: true
  soak: 1s
  health: { url: "\${STAGING_URL}/health", retries: 3, interval: 500ms, json: { path: status, equals: ok } }
  smoke:
    - { url: "\${STAGING_URL}/", status: 200, body_contains: "demo app", max_latency: 2s, samples: 5 }
verify:
  window: 2s
  interval: 1s
  health: { url: "http://127.0.0.1:$production_port/ready", retries: 2, interval: 500ms }
POLICY
export STAGING_URL="http://127.0.0.1:$staging_port"

step() { printf '\n== %s\n' "$*"; }
story() { # NAME HEALTH READY: deploy to staging, then promote
  local digest sha
  step "build $1 with deploy-action build --push"
  read -r sha digest < <(build "$1" "$2" "$3")
  echo "built $registry/$repo@$digest (commit ${sha:0:7})"
  step "deploy $1 to staging"
  "$bin" deploy -e staging --image "$registry/$repo@$digest" --sha "$sha" \
    --target docker --publish "$staging_port:8080" --health-timeout 30s
  sleep 1.2
  step "promote $1 to production"
  set +e
  "$bin" promote --policy promotion.yml --sha "$sha" --image "$registry/$repo@$digest" \
    --target docker --publish "$production_port:8080" --health-timeout 30s
  echo "exit status: $?"
  set -e
  echo "production runs: $(docker inspect --format '{{index .Config.Labels "deploy-action.digest"}}' deploy-action-web-demo-production 2>/dev/null || echo nothing)"
}

story v1 '{"status":"ok"}' yes
story v2 '{"status":"degraded"}' yes      # refused at the health gate: nothing moves
story v3 '{"status":"ok"}' no             # passes the gates, fails verification: rolled back
step "deployment history of production"
"$bin" history production
