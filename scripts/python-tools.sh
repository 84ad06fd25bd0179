#!/usr/bin/env bash
# Creates (once) the Python virtual environment the test script's checks use: schemathesis, and
# openapi-spec-validator with jsonschema for scripts/openapi-check.py.
# Usage: scripts/python-tools.sh VENV_DIR
set -euo pipefail
venv=${1:?usage: python-tools.sh VENV_DIR}
stamp="$venv/.leadgate-tools-1"
if [ ! -f "$stamp" ]; then
    echo "== installing the Python test tools into $venv (schemathesis, openapi-spec-validator)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "schemathesis>=4,<5" "openapi-spec-validator>=0.7" "jsonschema>=4.18" pyyaml
    touch "$stamp"
fi
