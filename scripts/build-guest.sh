#!/usr/bin/env bash
# Builds vireo's tiny test guest from Debian packages, cached:
#   ${VIREO_GUEST_DIR:-<repo>/.cache/guest}/vmlinux     uncompressed Debian kernel (ELF)
#   ${VIREO_GUEST_DIR:-<repo>/.cache/guest}/initrd.img  busybox + virtio/ACPI modules (cpio newc, gzip)
# Boot it with:
#   qemu-system-x86_64 -machine q35 -accel tcg -m 256 ... -kernel vmlinux -initrd initrd.img \
#     -append 'console=ttyS0 panic=-1 quiet'
# The uncompressed vmlinux boots through the PVH entry point, which skips the kernel's own XZ
# decompression: about 2 s from QEMU spawn to the ready line under TCG, vs 8-9 s with the bzImage.
# The guest prints "vireo-guest: disks: ..." and "vireo-guest: ready" on the console, then runs
# a shell there (scripts/guest/init); each network card gets an address by DHCP in the
# background (scripts/guest/net-hotplug, dhcp-event), reported on the console. The ACPI power
# button powers it off at once.
# Rebuilt only when an output is missing or older than this script or scripts/guest/*.
# Needs root (mknod, apt-get). The kernel .deb stays in <repo>/.cache/debs for rebuilds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
out=${VIREO_GUEST_DIR:-$repo/.cache/guest}
debs=$repo/.cache/debs
guest=$here/guest
# sd_mod is what turns virtio-scsi LUNs into /dev/sd*; pvpanic_mmio reports a kernel panic to
# QEMU through the ISA pvpanic device (<panic model='isa'/>). ahci (q35's SATA disks and CD-ROMs) is
# left out: probing q35's built-in controller adds about 0.4 s to every boot under TCG.
# 8139too drives rtl8139, the NIC model libvirt (and attach-interface) picks when none is given.
modules=(virtio_pci virtio_blk virtio_net 8139too virtio_balloon virtio_console virtio_scsi sd_mod
         button evdev pvpanic_mmio)

fresh() {
    local o i
    for o in "$out/vmlinux" "$out/initrd.img"; do
        [[ -f $o ]] || return 1
        for i in "${BASH_SOURCE[0]}" "$guest"/*; do
            [[ $o -nt $i ]] || return 1
        done
    done
}
fresh && exit 0

mkdir -p "$out" "$debs"
# Parallel test runs may all call this at once: build once, let the others wait for it.
exec 9>"$out/.lock"
flock 9
fresh && exit 0

export DEBIAN_FRONTEND=noninteractive
# Package lists may be missing (fresh machine) or stale (a 404 on download): update, once.
apt_updated=
with_apt_update() {
    "$@" && return
    [[ -z $apt_updated ]] || return 1
    apt_updated=1
    apt-get update -qq >&2 && "$@"
}

missing=()
for p in busybox-static kmod cpio xz-utils gzip; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *" installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
    with_apt_update apt-get install -y -qq "${missing[@]}" >&2
fi

# The concrete kernel package (linux-image-6.1.0-NN-amd64) that the meta-package points at.
kernel_pkg() {
    kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; found = 1; exit }
             END { exit !found }')
}
with_apt_update kernel_pkg

tmp=$(mktemp -d)
# Outputs are written next to their final name and renamed, so readers never see half a file.
trap 'rm -rf "$tmp" "$out"/.*.tmp.$$' EXIT

shopt -s nullglob
cached=("$debs/${kpkg}"_*.deb)
if ((${#cached[@]} == 0)); then
    echo "build-guest: downloading $kpkg" >&2
    cd "$tmp"   # apt-get download saves into the current directory
    # Download as root: apt's _apt user can't write the private temp dir and would warn.
    with_apt_update apt-get download -qq -o APT::Sandbox::User=root "$kpkg"
    rm -f "$debs"/linux-image-*.deb   # only the current kernel is worth keeping
    mv "$tmp/${kpkg}"_*.deb "$debs/"
    cached=("$debs/${kpkg}"_*.deb)
fi
shopt -u nullglob
echo "build-guest: building from ${cached[0]##*/}" >&2
dpkg -x "${cached[0]}" "$tmp/kernel"
kver=$(basename "$tmp/kernel/lib/modules/"*)

# vmlinux: the bzImage carries it as one XZ stream; --single-stream ignores what follows.
bz=$tmp/kernel/boot/vmlinuz-$kver
# (No `| head` / `tail |`: pipefail would turn the reader's early exit into SIGPIPE failure.)
off=$(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$bz" | awk -F: 'NR == 1 { print $1 }')
xz -dc --single-stream < <(tail -c +$((off + 1)) "$bz") >"$out/.vmlinux.tmp.$$"
[[ $(head -c4 "$out/.vmlinux.tmp.$$") == $'\x7fELF' ]] || {
    echo "build-guest: no ELF kernel inside $bz" >&2
    exit 1
}

# Initramfs tree. Applet symlinks are made here rather than by `busybox --install` at boot,
# where every millisecond costs more under TCG.
root=$tmp/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/acpi/PWRF,proc,sys,dev,tmp,root,lib/modules}
mkdir -p "$root"/var/{log,run}
cp /bin/busybox "$root/bin/busybox"
while read -r applet; do
    [[ -e $root/$applet || -L $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done < <(/bin/busybox --list-full)
install -m 755 "$guest/init" "$root/init"
install -m 644 "$guest/inittab" "$root/etc/inittab"
install -m 644 "$guest/acpid.conf" "$root/etc/acpid.conf"
install -m 755 "$guest/power-button" "$root/etc/acpi/PWRF/00000080"
install -D -m 755 "$guest/net-hotplug" "$root/etc/net/hotplug"
install -D -m 755 "$guest/dhcp-event" "$root/etc/net/dhcp"
# The kernel opens /dev/console before /init runs, so the node must be in the archive.
mknod -m 600 "$root/dev/console" c 5 1

# Modules and their dependencies, in load order, without repeats. Built-in ones print
# "builtin NAME" and need nothing.
depmod -b "$tmp/kernel" "$kver"
for m in "${modules[@]}"; do
    modprobe -d "$tmp/kernel" -S "$kver" --show-depends "$m" ||
        echo "build-guest: warning: no module $m in $kver" >&2
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$tmp/order"
: >"$root/etc/modules"
while read -r ko; do
    name=$(basename "$ko")
    name=${name%%.ko*}
    # busybox insmod can't read compressed modules; Debian 12 ships plain ones, later may not.
    case $ko in
        *.xz) xz -dc "$ko" ;;
        *.zst) zstd -qdc "$ko" ;;
        *) cat "$ko" ;;
    esac >"$root/lib/modules/$name.ko"
    echo "$name" >>"$root/etc/modules"
done <"$tmp/order"

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
    gzip -9 >"$out/.initrd.img.tmp.$$"

mv "$out/.vmlinux.tmp.$$" "$out/vmlinux"
mv "$out/.initrd.img.tmp.$$" "$out/initrd.img"
echo "build-guest: $out (kernel $kver, $(wc -l <"$root/etc/modules") modules)" >&2
