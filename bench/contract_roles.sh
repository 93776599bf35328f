#!/usr/bin/env bash
# Schemathesis for every role of DESIGN.md's table (issue 11, item 9): the same run as
# .ci/contract (all seven checks, DEBUG=0 server, demo data) as each demo user in turn —
# a sub-center key, front desk, caseworker, district officer, fund approver, fund manager,
# auditor and admin. Several minutes; CI runs the first two only.
#
#   bench/contract_roles.sh                 # 60 s per role
#   CONTRACT_SECONDS=30 bench/contract_roles.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CONTRACT_USERS="sync_cs desk_cs case_cs officer approver manager auditor admin"
export CONTRACT_SECONDS=${CONTRACT_SECONDS:-60}
exec .ci/contract
