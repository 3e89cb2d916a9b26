#!/usr/bin/env bash
# Real-parts test environment for deploy-action's integration tests: a private Docker daemon
# and a private registry, both on this machine, nothing pulled from Docker Hub.
#
#   scripts/test-env.sh up             # install if needed, start, self-check, print exports
#   scripts/test-env.sh env            # print the exports: eval "$(scripts/test-env.sh env)"
#   scripts/test-env.sh status         # exit 0 when both are up
#   scripts/test-env.sh down [--purge] # stop both; --purge also deletes images and blobs
#
# In scripts: `scripts/test-env.sh up >/dev/null && eval "$(scripts/test-env.sh env)"`
# (`eval "$(... up)"` alone would hide a failed `up`: eval of nothing succeeds).
# Everything lives under ${DEPLOY_ACTION_TEST_DIR:-/tmp/deploy-action-test}: docker.sock,
# docker/ (data root), exec/ (exec root), registry/ (blobs), *.pid, *.log.
#
# Notes on the configuration (found on a Debian 12 Firecracker VM, root, cgroup v1, no internet):
# - Debian's docker.io (dockerd 20.10, API 1.41) is used, not docker-ce. A newer docker CLI on
#   PATH negotiates down; Rust clients must negotiate too (bollard defaults to a newer API and
#   the daemon answers "client version 1.xx is too new", so call `negotiate_version()`).
# - apt-get runs behind a policy-rc.d that forbids starting services, so installing docker.io
#   and docker-registry never starts the system daemon or the system registry on :5000.
# - dockerd gets its own --config-file: the host's /etc/docker/daemon.json may set `hosts` or
#   other options that clash with ours. It also gets its own containerd namespace, because
#   dockerd 20.10 reuses a system containerd when /run/containerd/containerd.sock exists.
# - --iptables=false (and --ip6tables=false): we must not touch the host firewall, and nothing
#   here needs NAT. Port publishing still works because the userland proxy (docker-proxy)
#   listens on the host port and dials the container over the bridge.
# - The bridge is our own (datest0, 10.217.0.1/24), created with `ip link` before dockerd starts
#   and deleted by `down`, so a system dockerd's docker0 is never shared or changed. If the
#   bridge cannot be created (no CAP_NET_ADMIN), dockerd runs with --bridge=none: containers
#   then need --network host and `-p` publishing does not work; `up` says so.
# - Storage: dockerd picks its driver (overlay2 works on ext4 here). If it cannot start or
#   cannot run a container with that driver, `up` retries with vfs and remembers the choice.
# - Registries on 127.0.0.0/8 are insecure (plain HTTP) by default in dockerd; the registry is
#   also passed to --insecure-registry so another address works too.
# - The base image is busybox-static's /bin/busybox plus its applet symlinks, imported with
#   `docker import` as deploy-action-test/busybox:latest. Builds must not ask for a pull.
# - The docker target's load balancer in the tests is Debian's haproxy: its binary and the
#   libraries ldd lists, imported the same way as deploy-action-test/haproxy:latest (users get
#   the official image). Installing the package never starts the system haproxy (policy-rc.d).
set -euo pipefail

readonly PROG=test-env
readonly DIR=${DEPLOY_ACTION_TEST_DIR:-/tmp/deploy-action-test}
readonly REGISTRY=${DEPLOY_ACTION_TEST_REGISTRY:-127.0.0.1:5000}
readonly BRIDGE=${DEPLOY_ACTION_TEST_BRIDGE:-datest0}
readonly BRIDGE_CIDR=${DEPLOY_ACTION_TEST_BRIDGE_CIDR:-10.217.0.1/24}
readonly CHECK_PORT=${DEPLOY_ACTION_TEST_CHECK_PORT:-18080}
readonly TIMEOUT=${DEPLOY_ACTION_TEST_TIMEOUT:-60}
readonly BASE_IMAGE=deploy-action-test/busybox:latest
readonly NAMESPACE=deploy-action-test
readonly SOCK=$DIR/docker.sock
readonly BUSYBOX=/bin/busybox
readonly HAPROXY_IMAGE=deploy-action-test/haproxy:latest
readonly HAPROXY=/usr/sbin/haproxy

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
# The checks below talk to our daemon only, with a CLI config of their own (a user's
# credsStore or context must not leak in).
export DOCKER_HOST=unix://$SOCK
export DOCKER_CONFIG=$DIR/cli
export DOCKER_BUILDKIT=0
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH

# Logs shown by `die`, set by each phase.
LOGS=()
# Size of dockerd.log before the last start, to read only that attempt's messages.
LOG_MARK=0
# A policy-rc.d we created for apt-get and must remove again.
OWN_POLICY_RC=

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }

die() {
    local f
    for f in "${LOGS[@]}"; do
        [[ -s $f ]] || continue
        printf -- '---- last 25 lines of %s ----\n' "$f" >&2
        tail -n 25 "$f" >&2
    done
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 1
}

cleanup() {
    if [[ -n $OWN_POLICY_RC ]]; then
        rm -f "$OWN_POLICY_RC"
    fi
}
trap cleanup EXIT

usage() {
    sed -n '5,8s/^#  *//p' "$0" >&2
    exit 2
}

# Socket paths are limited to 108 bytes; containerd's ttrpc socket is the longest below DIR.
check_dir() {
    [[ $DIR == /* && $DIR =~ ^[A-Za-z0-9/._-]+$ ]] ||
        die "DEPLOY_ACTION_TEST_DIR must be an absolute path of [A-Za-z0-9/._-], got '$DIR'"
    ((${#DIR} <= 60)) ||
        die "DEPLOY_ACTION_TEST_DIR is too long for unix socket paths (max 60 characters): $DIR"
}

require_root() {
    [[ $(id -u) == 0 ]] || die "must run as root (dockerd needs it); try: sudo -E $0 $*"
}

# True when PID is alive and its command line contains NEEDLE (guards against reused pids).
pid_is() {
    local pid=$1 needle=$2
    [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/cmdline ]] &&
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$needle"
}

read_pid() {
    if [[ -s $1 ]]; then tr -dc '0-9' <"$1"; fi
}

dockerd_pid() {
    local pid
    pid=$(read_pid "$DIR/dockerd.pid")
    if [[ -n $pid ]] && pid_is "$pid" "unix://$SOCK"; then echo "$pid"; fi
}

registry_pid() {
    local pid
    pid=$(read_pid "$DIR/registry.pid")
    if [[ -n $pid ]] && pid_is "$pid" "$DIR/registry.yml"; then echo "$pid"; fi
}

docker_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
registry_answers() { curl -fsS -m 2 -o /dev/null "http://$REGISTRY/v2/" 2>/dev/null; }

# True when something accepts connections on host:port (curl exit 7 means refused).
port_taken() {
    local rc=0
    curl -s -m 2 -o /dev/null "http://$1/" || rc=$?
    [[ $rc != 7 ]]
}

# Sends TERM, waits up to $2 seconds, then KILL.
stop_pid() {
    local pid=$1 wait=$2 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < wait * 4; i++)); do
        [[ -e /proc/$pid ]] || return 0
        sleep 0.25
    done
    log "pid $pid did not stop after ${wait}s, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
}

# ---------------------------------------------------------------------------------- install

busybox_is_static() {
    [[ -x $BUSYBOX ]] &&
        [[ $(dpkg-query -W -f='${db:Status-Status}' busybox-static 2>/dev/null) == installed ]]
}

install_packages() {
    local pkgs=()
    if ! command -v dockerd >/dev/null || ! command -v docker-proxy >/dev/null ||
        ! command -v docker >/dev/null; then
        if dpkg-query -W -f='${db:Status-Status}' docker-ce 2>/dev/null | grep -q installed; then
            die "docker-ce is installed but dockerd, docker-proxy or the docker CLI is missing; docker.io would replace it, so install docker-ce-cli/docker-ce yourself"
        fi
        pkgs+=(docker.io)
    fi
    command -v docker-registry >/dev/null || pkgs+=(docker-registry)
    busybox_is_static || pkgs+=(busybox-static)
    [[ -x $HAPROXY ]] || pkgs+=(haproxy)
    # The kubernetes target's generated traffic command copies a Deployment with jq.
    command -v jq >/dev/null || pkgs+=(jq)
    command -v curl >/dev/null || pkgs+=(curl)
    command -v ip >/dev/null || pkgs+=(iproute2)
    # The remote-daemon build tests: a TLS dockerd with certificates made by openssl, an sshd
    # for ssh:// daemons, ssh-agent/ssh-add for --ssh.
    command -v openssl >/dev/null || pkgs+=(openssl)
    [[ -x /usr/sbin/sshd ]] || pkgs+=(openssh-server)
    command -v ssh-agent >/dev/null || pkgs+=(openssh-client)
    command -v ssh-add >/dev/null || pkgs+=(openssh-client)
    command -v ssh-keygen >/dev/null || pkgs+=(openssh-client)
    # The static-binary check of the BuildKit tests reads ldd's answer.
    command -v ldd >/dev/null || pkgs+=(libc-bin)
    ((${#pkgs[@]})) || return 0
    # One package may be named for several missing programs (openssh-client).
    mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | awk '!seen[$0]++')

    LOGS=("$DIR/install.log")
    log "installing ${pkgs[*]} (apt-get, log: $DIR/install.log)"
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        OWN_POLICY_RC=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\n# deploy-action test-env: keep apt-get from starting services\nexit 101\n' \
            >"$OWN_POLICY_RC"
        chmod 755 "$OWN_POLICY_RC"
    fi
    local apt=(apt-get -q -o DPkg::Lock::Timeout=300)
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >>"$DIR/install.log" 2>&1 ||
        die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y --no-install-recommends "${pkgs[@]}" \
        >>"$DIR/install.log" 2>&1 || die "apt-get install ${pkgs[*]} failed"
    cleanup
    OWN_POLICY_RC=
}

# --------------------------------------------------------------------------------- registry

write_registry_config() {
    cat >"$DIR/registry.yml" <<EOF
# Written by scripts/test-env.sh; not the system registry's config.
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $DIR/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY
  headers:
    X-Content-Type-Options: [nosniff]
EOF
}

start_registry() {
    LOGS=("$DIR/registry.log")
    local pid
    pid=$(registry_pid)
    if [[ -n $pid ]]; then
        wait_registry "$pid"
        log "registry already up (pid $pid, http://$REGISTRY)"
        return
    fi
    port_taken "$REGISTRY" &&
        die "$REGISTRY is already in use by another process (the system docker-registry service?); stop it or set DEPLOY_ACTION_TEST_REGISTRY"
    mkdir -p "$DIR/registry"
    write_registry_config
    rm -f "$DIR/registry.pid"
    # The shell writes its own pid, then execs: the pid stays the registry's.
    # shellcheck disable=SC2016 # expanded by the inner sh
    setsid sh -c 'echo $$ >"$1"; exec docker-registry serve "$2"' sh \
        "$DIR/registry.pid" "$DIR/registry.yml" </dev/null >>"$DIR/registry.log" 2>&1 9>&- &
    local i
    for ((i = 0; i < 20; i++)); do
        pid=$(registry_pid)
        [[ -n $pid ]] && break
        sleep 0.1
    done
    [[ -n $pid ]] || die "docker-registry did not start"
    wait_registry "$pid"
    log "registry up (pid $pid, http://$REGISTRY, storage $DIR/registry)"
}

wait_registry() {
    local pid=$1 deadline=$((SECONDS + TIMEOUT))
    until registry_answers; do
        [[ -e /proc/$pid ]] || die "docker-registry (pid $pid) exited during startup"
        ((SECONDS < deadline)) || die "registry did not answer http://$REGISTRY/v2/ within ${TIMEOUT}s"
        sleep 0.25
    done
}

# ---------------------------------------------------------------------------------- dockerd

# Prints the bridge dockerd should use: ours, or "none" when it cannot be created.
ensure_bridge() {
    if [[ $BRIDGE == none ]]; then
        echo none
        return
    fi
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
        if ! ip link add name "$BRIDGE" type bridge 2>>"$DIR/dockerd.log"; then
            log "warning: cannot create bridge $BRIDGE (see dockerd.log); using --bridge=none: containers need --network host and -p publishing will not work"
            echo none
            return
        fi
    fi
    if ! ip -o -4 addr show dev "$BRIDGE" | grep -qF " ${BRIDGE_CIDR} "; then
        ip addr add "$BRIDGE_CIDR" dev "$BRIDGE" ||
            die "cannot add $BRIDGE_CIDR to bridge $BRIDGE (set DEPLOY_ACTION_TEST_BRIDGE_CIDR)"
    fi
    ip link set "$BRIDGE" up || die "cannot bring bridge $BRIDGE up"
    echo "$BRIDGE"
}

# Starts dockerd with storage driver $1 ("" lets dockerd choose) and bridge $2, and waits until
# it answers. Returns non-zero (after stopping it) when it does not come up in time.
start_dockerd() {
    local driver=$1 bridge=$2 args
    args=(
        --host "unix://$SOCK"
        --data-root "$DIR/docker"
        --exec-root "$DIR/exec"
        --pidfile "$DIR/dockerd.pid"
        --config-file "$DIR/daemon.json"
        --containerd-namespace "$NAMESPACE"
        --containerd-plugins-namespace "$NAMESPACE-plugins"
        --iptables=false
        --userland-proxy=true
        --bridge "$bridge"
        --insecure-registry "$REGISTRY"
        --shutdown-timeout 5
    )
    if dockerd --help 2>&1 | grep -q -- '--ip6tables'; then args+=(--ip6tables=false); fi
    if [[ -n $driver ]]; then args+=(--storage-driver "$driver"); fi

    mkdir -p "$DIR/docker" "$DIR/exec" "$DOCKER_CONFIG"
    # dockerd 20.10 writes a trust key to /etc/docker/key.json unless this (config-file only)
    # option moves it; newer dockerd rejects the unknown key, hence the probe.
    if grep -qa -- 'json:"deprecated-key-path' "$(command -v dockerd)"; then
        printf '{ "deprecated-key-path": "%s" }\n' "$DIR/key.json" >"$DIR/daemon.json"
    else
        echo '{}' >"$DIR/daemon.json"
    fi
    rm -f "$SOCK"
    LOG_MARK=$(stat -c %s "$DIR/dockerd.log" 2>/dev/null || echo 0)
    printf '%s: starting dockerd %s\n' "$(date -u +%FT%TZ)" "${args[*]}" >>"$DIR/dockerd.log"
    setsid dockerd "${args[@]}" </dev/null >>"$DIR/dockerd.log" 2>&1 9>&- &
    local launcher=$! deadline=$((SECONDS + TIMEOUT)) pid
    until docker_answers; do
        pid=$(dockerd_pid)
        if [[ -z $pid ]] && ! [[ -e /proc/$launcher ]]; then
            log "dockerd exited during startup"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            log "dockerd did not answer on $SOCK within ${TIMEOUT}s"
            stop_dockerd
            return 1
        fi
        sleep 0.25
    done
}

# Stops dockerd, then whatever of ours a killed dockerd leaves behind: containers (a shim
# that dies leaves its container running), containerd, shims, mounts.
stop_dockerd() {
    local pid
    pid=$(dockerd_pid)
    if [[ -n $pid ]]; then
        log "stopping dockerd (pid $pid)"
        stop_pid "$pid" 30
    fi
    local root id
    for root in "$DIR"/exec/runtime-runc/*/; do
        if [[ ! -d $root ]] || ! command -v runc >/dev/null; then continue; fi
        for id in $(runc --root "$root" list -q 2>/dev/null); do
            log "removing leftover container $id"
            runc --root "$root" delete --force "$id" || true
        done
    done
    local p comm
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
        case $comm in containerd | containerd-shim* | dockerd) ;; *) continue ;; esac
        if pid_is "$p" "$DIR/"; then
            log "stopping leftover $comm (pid $p)"
            stop_pid "$p" 10
        fi
    done
    unmount_all
    rm -f "$SOCK" "$DIR/dockerd.pid"
}

unmount_all() {
    local m
    # Deepest first; field 5 of mountinfo is the mount point.
    awk -v dir="$DIR/" 'index($5, dir) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
        while read -r m; do
            umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null ||
                log "warning: cannot unmount $m"
        done
}

# What `up` chose, for `status`, `down` and the next `up`: the bridge, and the storage driver
# forced by a fallback (vfs; it sticks until `down --purge`).
save_state() { printf 'bridge=%s\nfallback=%s\n' "$1" "$2" >"$DIR/state"; }
state_of() { sed -n "s/^$1=//p" "$DIR/state" 2>/dev/null || true; }

start_docker() {
    LOGS=("$DIR/dockerd.log")
    local pid
    pid=$(dockerd_pid)
    if [[ -n $pid ]]; then
        local deadline=$((SECONDS + TIMEOUT))
        until docker_answers; do
            ((SECONDS < deadline)) ||
                die "dockerd (pid $pid) is running but does not answer on $SOCK; run '$0 down' first"
            sleep 0.25
        done
        log "dockerd already up (pid $pid, $(docker_summary))"
        return
    fi
    stop_dockerd # stale sockets, shims or mounts from a killed run

    local bridge fallback driver
    fallback=$(state_of fallback)
    driver=${DEPLOY_ACTION_TEST_STORAGE_DRIVER:-$fallback}
    bridge=$(ensure_bridge)
    if ! start_dockerd "$driver" "$bridge"; then
        [[ -z $driver ]] || die "dockerd did not start (storage driver $driver)"
        tail -c "+$((LOG_MARK + 1))" "$DIR/dockerd.log" | grep -qiE 'graphdriver|storage.driver|overlay' ||
            die "dockerd did not start"
        log "retrying dockerd with the vfs storage driver"
        fallback=vfs
        start_dockerd vfs "$bridge" || die "dockerd did not start, even with the vfs storage driver"
    fi
    save_state "$bridge" "$fallback"
    log "dockerd up (pid $(dockerd_pid), $(docker_summary))"
}

docker_summary() {
    docker info --format 'dockerd {{.ServerVersion}}, storage {{.Driver}}, cgroup {{.CgroupVersion}}' \
        2>/dev/null | tr -d '\n'
    printf ', bridge %s' "$(state_of bridge)"
}

# ------------------------------------------------------------------------------ base image

ensure_base_image() {
    if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
        return
    fi
    local root=$DIR/rootfs applet version
    version=$("$BUSYBOX" 2>/dev/null | sed -n '1s/^BusyBox \(v[^ ]*\).*/\1/p')
    rm -rf "$root"
    mkdir -p "$root/bin" "$root/etc" "$root/www" "$root/tmp" "$root/root"
    chmod 1777 "$root/tmp"
    cp "$BUSYBOX" "$root/bin/busybox"
    for applet in $("$BUSYBOX" --list); do
        [[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
        >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    echo 'deploy-action-test ok' >"$root/www/index.html"
    tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
        docker import \
            --change 'ENV PATH=/bin' \
            --change 'WORKDIR /' \
            --change 'CMD ["sh"]' \
            --change "LABEL org.opencontainers.image.description=\"busybox-static $version\"" \
            - "$BASE_IMAGE" >/dev/null || die "docker import of $BASE_IMAGE failed"
    rm -rf "$root"
    log "imported $BASE_IMAGE from $BUSYBOX"
}

# The docker target's balancer for the tests: haproxy and the shared libraries it loads (ldd),
# plus the busybox base's files, so the image runs on this daemon without pulling anything.
ensure_haproxy_image() {
    if docker image inspect "$HAPROXY_IMAGE" >/dev/null 2>&1; then
        return
    fi
    local root=$DIR/rootfs-haproxy lib version
    version=$("$HAPROXY" -v 2>/dev/null | sed -n '1s/^HAProxy version \([^ ]*\).*/\1/p')
    rm -rf "$root"
    mkdir -p "$root/usr/sbin" "$root/etc" "$root/tmp" "$root/usr/local/etc/haproxy" "$root/var/lib/haproxy"
    chmod 1777 "$root/tmp"
    cp "$HAPROXY" "$root/usr/sbin/haproxy"
    for lib in $(ldd "$HAPROXY" | grep -o '/[^ ]*'); do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nhaproxy:x:99:99:haproxy:/var/lib/haproxy:/bin/false\n' \
        >"$root/etc/passwd"
    printf 'root:x:0:\nhaproxy:x:99:\n' >"$root/etc/group"
    printf 'global\n  stats socket ipv4@127.0.0.1:9999 level admin\ndefaults\n  mode http\n' \
        >"$root/usr/local/etc/haproxy/haproxy.cfg"
    tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
        docker import \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'WORKDIR /' \
            --change 'CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]' \
            --change "LABEL org.opencontainers.image.description=\"Debian haproxy $version\"" \
            - "$HAPROXY_IMAGE" >/dev/null || die "docker import of $HAPROXY_IMAGE failed"
    rm -rf "$root"
    log "imported $HAPROXY_IMAGE from $HAPROXY ($version)"
}

# ------------------------------------------------------------------------------ self-checks

check_run() {
    local out
    out=$(docker run --rm "$BASE_IMAGE" sh -c 'echo ok' 2>>"$DIR/check.log") && [[ $out == ok ]]
}

check_publish() {
    local name=$NAMESPACE-selfcheck-publish i body=
    docker rm -f "$name" >/dev/null 2>&1 || true
    port_taken "127.0.0.1:$CHECK_PORT" &&
        die "port $CHECK_PORT is in use, cannot check -p publishing (set DEPLOY_ACTION_TEST_CHECK_PORT)"
    docker run -d --name "$name" -p "$CHECK_PORT:8080" "$BASE_IMAGE" \
        busybox httpd -f -p 8080 -h /www >/dev/null ||
        die "docker run -p $CHECK_PORT:8080 failed"
    for ((i = 0; i < 40; i++)); do
        body=$(curl -fsS -m 2 "http://127.0.0.1:$CHECK_PORT/" 2>/dev/null) && break
        sleep 0.25
    done
    docker rm -f "$name" >/dev/null 2>&1 || true
    [[ $body == 'deploy-action-test ok' ]] ||
        die "a container published with -p $CHECK_PORT:8080 did not answer http://127.0.0.1:$CHECK_PORT/"
}

check_push() {
    local ref=$REGISTRY/$NAMESPACE/selfcheck:up tags
    docker tag "$BASE_IMAGE" "$ref"
    docker push "$ref" >>"$DIR/check.log" 2>&1 || die "docker push $ref failed"
    docker rmi "$ref" >/dev/null
    tags=$(curl -fsS -m 5 "http://$REGISTRY/v2/$NAMESPACE/selfcheck/tags/list") ||
        die "cannot list tags at http://$REGISTRY/v2/$NAMESPACE/selfcheck/tags/list"
    [[ $tags == *'"up"'* ]] || die "pushed $ref but the registry lists: $tags"
}

self_check() {
    LOGS=("$DIR/dockerd.log" "$DIR/registry.log" "$DIR/check.log")
    if ! check_run; then
        # A driver that initialises but cannot mount shows up here, not at startup.
        local driver bridge
        driver=$(docker info --format '{{.Driver}}' 2>/dev/null || true)
        bridge=$(state_of bridge)
        [[ -z ${DEPLOY_ACTION_TEST_STORAGE_DRIVER:-} && $driver != vfs ]] ||
            die "docker run --rm $BASE_IMAGE failed (storage driver $driver)"
        log "docker run failed with storage driver $driver; switching to vfs"
        stop_dockerd
        start_dockerd vfs "$bridge" || die "dockerd did not start with the vfs storage driver"
        save_state "$bridge" vfs
        ensure_base_image
        check_run || die "docker run --rm $BASE_IMAGE failed, even with vfs"
    fi
    if [[ $(state_of bridge) == none ]]; then
        log "warning: bridge none: skipped the -p $CHECK_PORT:8080 check; use --network host"
    else
        check_publish
    fi
    check_push
    log "checks passed: run, -p $CHECK_PORT:8080 publishing, push to $REGISTRY"
}

# -------------------------------------------------------------------------------- commands

print_env() {
    cat <<EOF
export DOCKER_HOST=unix://$SOCK
export DEPLOY_ACTION_TEST_REGISTRY=$REGISTRY
export DEPLOY_ACTION_TEST_BASE_IMAGE=$BASE_IMAGE
export DEPLOY_ACTION_TEST_HAPROXY_IMAGE=$HAPROXY_IMAGE
export DOCKER_BUILDKIT=0
EOF
}

# Serialises `up` and `down`: test harnesses may call `up` from several processes at once.
# Daemons started under the lock must not inherit fd 9, or they would hold it forever.
take_lock() {
    exec 9>"$DIR/lock"
    flock -w "$((TIMEOUT * 5))" 9 || die "another $PROG holds $DIR/lock"
}

cmd_up() {
    require_root up
    local start=$SECONDS
    mkdir -p "$DIR"
    take_lock
    install_packages
    start_registry
    start_docker
    ensure_base_image
    ensure_haproxy_image
    self_check
    log "up in $((SECONDS - start))s; eval \"\$($0 env)\" to use it"
    print_env
}

cmd_down() {
    require_root down
    local purge=${1:-}
    [[ -z $purge || $purge == --purge ]] || usage
    [[ -d $DIR ]] || {
        log "nothing to stop ($DIR does not exist)"
        return
    }
    take_lock
    LOGS=()
    local pid
    pid=$(registry_pid)
    if [[ -n $pid ]]; then
        log "stopping registry (pid $pid)"
        stop_pid "$pid" 10
    fi
    rm -f "$DIR/registry.pid"
    stop_dockerd
    local bridge
    bridge=$(state_of bridge)
    bridge=${bridge:-$BRIDGE}
    if [[ -n $bridge && $bridge != none ]] && ip link show "$bridge" >/dev/null 2>&1; then
        ip link delete "$bridge" || log "warning: cannot delete bridge $bridge"
    fi
    if [[ $purge == --purge ]]; then
        rm -rf "$DIR"
        log "down; removed $DIR"
    else
        log "down (images and registry blobs kept in $DIR; --purge removes them)"
    fi
}

cmd_status() {
    local pid rc=0
    pid=$(dockerd_pid)
    if [[ -n $pid ]] && docker_answers; then
        log "dockerd: up (pid $pid, $(docker_summary), $DOCKER_HOST)"
    else
        log "dockerd: down"
        rc=3
    fi
    pid=$(registry_pid)
    if [[ -n $pid ]] && registry_answers; then
        log "registry: up (pid $pid, http://$REGISTRY)"
    else
        log "registry: down"
        rc=3
    fi
    return "$rc"
}

main() {
    check_dir
    case ${1:-} in
        up) cmd_up ;;
        down) cmd_down "${2:-}" ;;
        env) print_env ;;
        status) cmd_status ;;
        *) usage ;;
    esac
}

main "$@"
