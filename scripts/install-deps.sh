#!/bin/sh
# Installs the C library keyaudit links (libxlsxwriter) and pkg-config, when they are missing.
# Debian/Ubuntu: apt-get (with sudo when not root). Elsewhere: says what to install.
set -eu
if pkg-config --exists xlsxwriter 2>/dev/null; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "keyaudit: libxlsxwriter-dev and pkg-config are missing and this user cannot install them; as root run: apt-get update && apt-get install -y libxlsxwriter-dev pkg-config" >&2
        exit 1
    fi
    echo "keyaudit: installing libxlsxwriter-dev and pkg-config with apt-get" >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libxlsxwriter-dev pkg-config >/dev/null
    exit 0
fi
if command -v brew >/dev/null 2>&1; then
    echo "keyaudit: libxlsxwriter is missing; install it with: brew install libxlsxwriter pkg-config" >&2
    exit 1
fi
echo "keyaudit: libxlsxwriter (with its pkg-config file) and pkg-config are missing; install them with your system's package manager" >&2
exit 1
