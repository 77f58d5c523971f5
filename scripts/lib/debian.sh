# Sourced by the scripts that install their tools from Debian's packages when missing.

# Installs, from Debian's packages, each of "$@" whose command is not on the PATH: a name that is
# both command and package (`wrk`), or `command=package` (`perf=linux-perf`).
install_missing() {
    local wanted missing=()
    for wanted in "$@"; do
        command -v "${wanted%%=*}" >/dev/null || missing+=("${wanted#*=}")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "$(basename "$0" .sh): installing ${missing[*]} from Debian's packages" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}
