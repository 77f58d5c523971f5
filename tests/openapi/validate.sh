#!/usr/bin/env bash
# Validates an OpenAPI document with openapi-spec-validator (a third-party validator of OpenAPI
# 2.0, 3.0 and 3.1 documents, kept by the python-openapi project), installing it with pip when
# it is missing. Run by tests/openapi.rs.
#
#   tests/openapi/validate.sh DOCUMENT.json
#
# Exit status: 0 valid, 1 invalid, 2 the validator could not be installed or run.
set -uo pipefail

document=${1:?usage: validate.sh DOCUMENT.json}
python=${PYTHON:-python3}

if ! command -v "$python" >/dev/null; then
    echo "validate.sh: needs $python" >&2
    exit 2
fi
if ! "$python" -c 'import openapi_spec_validator' 2>/dev/null; then
    echo "validate.sh: installing openapi-spec-validator with pip" >&2
    if ! "$python" -m pip install --quiet --disable-pip-version-check 'openapi-spec-validator>=0.7,<1' >&2; then
        echo "validate.sh: could not install openapi-spec-validator" >&2
        exit 2
    fi
fi
"$python" -m openapi_spec_validator --schema 3.1 "$document"
case $? in
    0) exit 0 ;;
    1) exit 1 ;;
    *) exit 2 ;;
esac
