#!/usr/bin/env bash
# Authenticode-sign one Windows file in place with osslsigncode (SHA-256).
#   scripts/windows/sign.sh FILE.exe
# The certificate, from the environment (README, "Windows" → "Signing"):
#   POLYCLINIC_SIGN_PKCS12=/secure/codesign.p12      a PKCS#12 file (key and certificate chain)
#     POLYCLINIC_SIGN_PASSWORD_FILE=/secure/pass     its password, one line (or POLYCLINIC_SIGN_PASSWORD)
#   or a PKCS#11 token (smart card / HSM):
#     POLYCLINIC_SIGN_PKCS11_MODULE=/usr/lib/…/opensc-pkcs11.so
#     POLYCLINIC_SIGN_PKCS11_KEY='pkcs11:token=…;object=…'  POLYCLINIC_SIGN_CERT=/secure/chain.pem
#   POLYCLINIC_SIGN_TIMESTAMP=URL   an RFC 3161 time-stamping service (the signature then outlives
#                                   the certificate); none by default (no network here)
# scripts/build_windows.sh sets POLYCLINIC_SIGN_PKCS12 to a test certificate it makes itself
# when none is given.
set -euo pipefail
file=$1
[ -f "$file" ] || { echo "sign: no file $file" >&2; exit 1; }
args=(sign -h sha256 -n "Поликлиника — регистратура")
if [ -n "${POLYCLINIC_SIGN_PKCS11_MODULE:-}" ]; then
    args+=(-pkcs11module "$POLYCLINIC_SIGN_PKCS11_MODULE" -key "${POLYCLINIC_SIGN_PKCS11_KEY:?}"
           -certs "${POLYCLINIC_SIGN_CERT:?}")
    [ -n "${POLYCLINIC_SIGN_PKCS11_ENGINE:-}" ] && args+=(-pkcs11engine "$POLYCLINIC_SIGN_PKCS11_ENGINE")
else
    args+=(-pkcs12 "${POLYCLINIC_SIGN_PKCS12:?POLYCLINIC_SIGN_PKCS12 is not set}")
    if [ -n "${POLYCLINIC_SIGN_PASSWORD_FILE:-}" ]; then
        args+=(-readpass "$POLYCLINIC_SIGN_PASSWORD_FILE")
    elif [ -n "${POLYCLINIC_SIGN_PASSWORD:-}" ]; then
        args+=(-pass "$POLYCLINIC_SIGN_PASSWORD")
    fi
fi
[ -n "${POLYCLINIC_SIGN_TIMESTAMP:-}" ] && args+=(-ts "$POLYCLINIC_SIGN_TIMESTAMP")
tmp="$file.signing"
rm -f "$tmp"
osslsigncode "${args[@]}" -in "$file" -out "$tmp" >/dev/null
mv -f "$tmp" "$file"
