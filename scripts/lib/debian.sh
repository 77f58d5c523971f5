# Sourced by the scripts that install their tools from Debian's packages when missing.

# Installs, from Debian's packages, each of "$@" whose command is not on the PATH: a name that is
# both command and package (`wrk`), or `command=package` (`perf=linux-perf`); through sudo when
# not root.
install_missing() {
    local wanted missing=()
    for wanted in "$@"; do
        command -v "${wanted%%=*}" >/dev/null || missing+=("${wanted#*=}")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        local sudo=()
        if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
        echo "$(basename "$0" .sh): installing ${missing[*]} from Debian's packages" >&2
        "${sudo[@]}" apt-get update -qq
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}
