#!/bin/sh
# Prepares a running Temporal cluster for arvo_temporal:
#   1. waits until the frontend reports healthy,
#   2. creates the namespace if it does not exist (the plain server image creates none),
#   3. registers the search attributes the machine workflows set. The list below must equal
#      arvo_temporal/temporal/_search_attributes.py; tests/test_docker_compose.py checks it and
#      runs this script against a real dev server.
#
# Run by the one-shot `temporal-setup` service of docker-compose.yml (admin-tools image); workers
# start only after it succeeded, because Temporal rejects workflows that set unknown attributes.
# Every step is idempotent, so it runs on each `docker compose up`.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS must name the frontend, e.g. temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
# Closed executions are kept this long; while they are, an event for a finished machine is
# refused instead of silently starting it again with empty memory.
RETENTION="${TEMPORAL_RETENTION:-168h}"
ATTEMPTS="${SETUP_ATTEMPTS:-30}"

# retry CMD...: the frontend answers health checks before the namespace cache has caught up with
# a new namespace, so each step gets a few tries instead of failing the deployment at once.
retry() {
    attempt=1
    until "$@"; do
        if [ "$attempt" -ge "$ATTEMPTS" ]; then
            echo "giving up after $attempt attempts: $*" >&2
            return 1
        fi
        attempt=$((attempt + 1))
        sleep 2
    done
}

ensure_namespace() {
    temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1 \
        || temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"
}

echo "waiting for Temporal at $TEMPORAL_ADDRESS"
retry temporal operator cluster health
echo "ensuring namespace $NAMESPACE"
retry ensure_namespace
echo "registering search attributes in $NAMESPACE"
retry temporal operator search-attribute create --namespace "$NAMESPACE" \
    --name ArvoOrchestrator --type Keyword \
    --name ArvoVersion --type Keyword \
    --name ArvoStatus --type Keyword \
    --name ArvoInitiator --type Keyword \
    --name ArvoState --type KeywordList \
    --name ArvoTaskDomains --type KeywordList \
    --name ArvoRoot --type Keyword \
    --name ArvoParent --type Keyword \
    --name ArvoExecutionUnits --type Double
echo "Temporal is ready for arvo_temporal"
