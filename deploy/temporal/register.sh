#!/bin/sh
# One-shot job run in the temporalio/admin-tools image once the Temporal server is healthy:
# makes sure the namespace the inquiry service uses exists and carries the custom search
# attributes its workflows upsert (InquiryStatus, ResponsibleUnit, ReplyDueAt, EscalationLevel,
# Overdue; see workflows/search_attributes.py). The worker must not start before this succeeds:
# upserting an unregistered search attribute fails the workflow task.
#
# Safe on every `docker compose up`: existing namespace and attributes are left as they are.
# POSIX sh on purpose: newer admin-tools images are plain Alpine without bash.
set -eu

: "${TEMPORAL_ADDRESS:=temporal:7233}"
: "${TEMPORAL_NAMESPACE:=default}"
: "${TEMPORAL_NAMESPACE_RETENTION:=720h}"
: "${WAIT_TIMEOUT_SECONDS:=300}"
# Seconds to let the server's namespace cache pick up newly added search attributes.
: "${SETTLE_SECONDS:=15}"

log() {
    echo "[temporal-namespace] $*"
}

temporal_cli() {
    temporal "$@" --address "$TEMPORAL_ADDRESS"
}

# wait_for <what> <command> [args...]: retry every 2 s until it succeeds or the time is up.
wait_for() {
    what=$1
    shift
    waited=0
    until "$@" >/dev/null 2>&1; do
        if [ "$waited" -ge "$WAIT_TIMEOUT_SECONDS" ]; then
            log "gave up after ${waited} s waiting for ${what}"
            exit 1
        fi
        sleep 2
        waited=$((waited + 2))
    done
}

# allow_existing <command> [args...]: run it; an "already exists" failure counts as success.
allow_existing() {
    if output=$("$@" 2>&1); then
        if [ -n "$output" ]; then
            echo "$output"
        fi
        return 0
    fi
    case $(echo "$output" | tr '[:upper:]' '[:lower:]') in
        *"already exists"* | *"already registered"*)
            log "already there: $output"
            return 0
            ;;
    esac
    echo "$output" >&2
    return 1
}

cluster_serving() {
    temporal_cli operator cluster health | grep -q SERVING
}

namespace_exists() {
    temporal_cli operator namespace describe --namespace "$TEMPORAL_NAMESPACE"
}

namespace_ready() {
    temporal_cli operator search-attribute list --namespace "$TEMPORAL_NAMESPACE"
}

attribute_registered() {
    temporal_cli operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" | grep -qw "$1"
}

created=0

# ensure_search_attribute <name> <type>
ensure_search_attribute() {
    if attribute_registered "$1"; then
        log "search attribute $1 already registered"
        return 0
    fi
    log "registering search attribute $1 ($2)"
    allow_existing temporal_cli operator search-attribute create \
        --namespace "$TEMPORAL_NAMESPACE" --name "$1" --type "$2"
    created=1
}

log "waiting for the Temporal frontend at ${TEMPORAL_ADDRESS}"
wait_for "the Temporal frontend" cluster_serving

if namespace_exists >/dev/null 2>&1; then
    log "namespace ${TEMPORAL_NAMESPACE} exists"
else
    log "creating namespace ${TEMPORAL_NAMESPACE} (retention ${TEMPORAL_NAMESPACE_RETENTION})"
    allow_existing temporal_cli operator namespace create \
        --namespace "$TEMPORAL_NAMESPACE" \
        --retention "$TEMPORAL_NAMESPACE_RETENTION" \
        --description "Citizen inquiry service"
fi
# A new namespace reaches every service through the namespace cache, which takes a few seconds.
wait_for "namespace ${TEMPORAL_NAMESPACE} to become usable" namespace_ready

ensure_search_attribute InquiryStatus Keyword
ensure_search_attribute ResponsibleUnit Keyword
ensure_search_attribute ReplyDueAt Datetime
ensure_search_attribute EscalationLevel Int
ensure_search_attribute Overdue Bool

for name in InquiryStatus ResponsibleUnit ReplyDueAt EscalationLevel Overdue; do
    wait_for "search attribute ${name} to be listed" attribute_registered "$name"
done

if [ "$created" -eq 1 ]; then
    log "waiting ${SETTLE_SECONDS} s for the namespace cache to pick up the new search attributes"
    sleep "$SETTLE_SECONDS"
fi

log "namespace ${TEMPORAL_NAMESPACE} is ready"
