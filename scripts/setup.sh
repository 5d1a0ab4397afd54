#!/usr/bin/env bash
# Everything vireo needs on a fresh Debian 12 machine with Node 20: Debian packages, npm
# dependencies, the build and the tiny test guest. Idempotent and quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# qemu-system-x86/qemu-utils: the hypervisor; busybox-static, kmod, cpio, xz-utils: to build
# the test guest (busybox's udhcpc is also the DHCP client of network tests); libvirt0 +
# libxml2-utils: libvirt's RelaxNG schemas and xmllint, to prove our XML validates; iproute2:
# bridges, taps and the network namespaces network tests run in; dnsmasq-base: DHCP and DNS of
# virtual networks; nftables: their forwarding and NAT rules; ovmf: UEFI firmware for
# <os firmware='efi'>; swtpm: the emulated TPM of <tpm><backend type='emulator'>; vim-tiny:
# vi, the editor `vireo edit` falls back to (the CLI's terminal tests drive it; they use
# util-linux script, from bsdutils, which every Debian system has).
PACKAGES=(qemu-system-x86 qemu-utils busybox-static kmod cpio xz-utils libvirt0 libxml2-utils iproute2 dnsmasq-base nftables ovmf swtpm swtpm-tools vim-tiny)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "setup: building"
npx tsc -p tsconfig.json
bash scripts/build-cli.sh
bash scripts/build-guest.sh
