#!/bin/sh
# Regenerates Sources/Report/EmbeddedTemplates.swift from templates/ (`make templates`).
# templates/ is the source of truth; a test fails when the two differ.
set -eu
cd "$(dirname "$0")/.."
out=Sources/Report/EmbeddedTemplates.swift
tmp="$out.tmp"
{
    echo "// swift-format-ignore-file"
    echo "// Generated from templates/ by scripts/embed-templates.sh (make templates). Do not edit."
    echo ""
    echo "/// The default templates, compiled in so the binary works from any directory."
    echo "enum EmbeddedTemplates {"
    echo "    static let files: [String: String] = ["
    for file in templates/*.mustache templates/*.yml; do
        [ -f "$file" ] || continue
        if grep -q '"""####' "$file"; then
            echo "error: $file contains the literal delimiter \"\"\"####" >&2
            exit 1
        fi
        if [ -n "$(tail -c 1 "$file")" ]; then
            echo "error: $file must end with a newline" >&2
            exit 1
        fi
        printf '        "%s": ####"""\n' "$(basename "$file")"
        cat "$file"
        printf '\n"""####,\n'
    done
    echo "    ]"
    echo "}"
} > "$tmp"
mv "$tmp" "$out"
echo "wrote $out"
