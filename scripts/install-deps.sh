#!/bin/sh
# Installs what building and testing keyaudit needs, when it is missing: the C library keyaudit links
# (libxlsxwriter, found through pkg-config) and ssh-keygen (openssh-client), which the tests use to check
# keyaudit's signatures. Debian/Ubuntu: apt-get (with sudo when not root). Elsewhere: says what to install.
set -eu
packages=""
if ! pkg-config --exists xlsxwriter 2>/dev/null; then
    packages="libxlsxwriter-dev pkg-config"
fi
if ! command -v ssh-keygen >/dev/null 2>&1; then
    packages="$packages openssh-client"
fi
packages=$(echo $packages)
if [ -z "$packages" ]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "keyaudit: $packages missing and this user cannot install them; as root run: apt-get update && apt-get install -y $packages" >&2
        exit 1
    fi
    echo "keyaudit: installing $packages with apt-get" >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086 # the list is meant to split into package names
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null
    exit 0
fi
if command -v brew >/dev/null 2>&1; then
    echo "keyaudit: missing: $packages; install with: brew install libxlsxwriter pkg-config (ssh-keygen ships with macOS)" >&2
    exit 1
fi
echo "keyaudit: missing: $packages (libxlsxwriter with its pkg-config file, pkg-config, ssh-keygen); install them with your system's package manager" >&2
exit 1
