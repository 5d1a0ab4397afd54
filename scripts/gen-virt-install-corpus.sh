#!/usr/bin/env bash
# Regenerate test/fixtures/virt-install/*.xml: domain XML exactly as virt-install writes it for a
# spread of guests. Not run by the tests (they read the committed files); run it by hand after a
# virtinst upgrade and review the diff.
#
# Needs: Debian package virtinst, and a libvirt connection that virt-install can ask about the
# host. It runs with --dry-run --print-xml, so nothing is defined, created or started.
#
# Why not test:///default by default: libvirt's mock driver only offers i686 guests of
# <domain type='test'> with /usr/bin/test-hv as emulator, which no real host produces. A QEMU
# driver connection (qemu:///session; as root libvirt answers it from the system daemon) gives
# what users really get: type kvm, q35, pcie-root-ports, virtio, host-passthrough CPU.
# Set VIRT_INSTALL_URI to use another connection (test:///default still works: the files then
# show what the mock driver writes).
#
# Every guest gets a fixed UUID and MAC so that a regeneration only shows real changes.
set -euo pipefail
cd "$(dirname "$0")/.."

URI="${VIRT_INSTALL_URI:-qemu:///session}"
OUT=test/fixtures/virt-install
ISO=/var/lib/vireo-corpus/install.iso
IMG=/var/lib/vireo-corpus
mkdir -p "$OUT"

command -v virt-install >/dev/null || { echo "gen-virt-install-corpus: install virtinst (apt-get install -y virtinst)" >&2; exit 1; }
if ! virsh -c "$URI" uri >/dev/null 2>&1; then
  echo "gen-virt-install-corpus: cannot connect to $URI; start libvirt (virtlogd -d; libvirtd -d) or set VIRT_INSTALL_URI" >&2
  exit 1
fi
# --dry-run still checks that a --cdrom or --location path exists; an empty file will do.
mkdir -p "$(dirname "$ISO")"
[ -e "$ISO" ] || : > "$ISO"
[ -e "$IMG/vmlinuz" ] || : > "$IMG/vmlinuz"
[ -e "$IMG/initrd.img" ] || : > "$IMG/initrd.img"

n=0
# gen NAME UUID-SUFFIX ARGS...: write $OUT/NAME.xml (the first, install-time XML when there are two).
gen() {
  local name=$1 id=$2
  shift 2
  local uuid
  uuid=$(printf 'c0a90000-0000-4000-8000-%012d' "$id")
  virt-install --connect "$URI" --print-xml 1 --dry-run --noautoconsole \
    --name "$name" --uuid "$uuid" "$@" > "$OUT/$name.xml.tmp"
  mv "$OUT/$name.xml.tmp" "$OUT/$name.xml"
  n=$((n + 1))
}
mac() { printf '52:54:00:c0:a9:%02x' "$1"; }

# Linux releases with the defaults virt-install picks for each (q35, virtio, qemu-ga channel, RNG).
gen debian11 1 --osinfo debian11 --memory 2048 --vcpus 2 --disk path=$IMG/debian11.qcow2,size=20 \
  --cdrom $ISO --network user,mac=$(mac 1) --graphics vnc
gen ubuntu22.04 2 --osinfo ubuntu22.04 --memory 4096 --vcpus 4 --disk path=$IMG/ubuntu.qcow2,size=25 \
  --import --network user,mac=$(mac 2) --graphics spice
gen fedora37-uefi 3 --osinfo fedora37 --memory 2048 --vcpus 2 --boot uefi \
  --disk path=$IMG/fedora.qcow2,size=20 --import --network user,mac=$(mac 3) --graphics vnc
gen centos7-pc 4 --osinfo centos7.0 --machine pc --memory 1024 --vcpus 1 \
  --disk path=$IMG/centos7.qcow2,size=10 --cdrom $ISO --network user,mac=$(mac 4) --graphics vnc
gen alma9-tuned 5 --osinfo almalinux9 --memory 4096 --vcpus 4,maxvcpus=8,sockets=1,cores=4,threads=2 \
  --cpu host-model --memorybacking hugepages=on \
  --cputune vcpupin0.vcpu=0,vcpupin0.cpuset=0,vcpupin1.vcpu=1,vcpupin1.cpuset=1 \
  --memtune hard_limit=5242880,soft_limit=4194304 --blkiotune weight=500 \
  --numatune 0,mode=preferred \
  --disk path=$IMG/alma9.qcow2,size=20,cache=none,io=native,discard=unmap \
  --import --network user,mac=$(mac 5) --graphics none --console pty,target_type=serial
gen opensuse15.4-sata 6 --osinfo opensuse15.4 --memory 2048 --vcpus 2 \
  --disk path=$IMG/suse.qcow2,size=20,bus=sata --disk path=$IMG/suse-data.raw,size=1,bus=sata,format=raw \
  --import --network user,mac=$(mac 6),model=e1000e --graphics vnc,listen=0.0.0.0
gen rocky9-scsi 7 --osinfo rocky9 --memory 2048 --vcpus 2 --controller scsi,model=virtio-scsi \
  --disk path=$IMG/rocky.qcow2,size=20,bus=scsi,serial=ROCKY-ROOT --disk path=$ISO,device=cdrom,bus=scsi \
  --import --network user,mac=$(mac 7) --graphics vnc
gen debian11-kernel 8 --osinfo debian11 --memory 512 --vcpus 1 \
  --boot kernel=$IMG/vmlinuz,initrd=$IMG/initrd.img,kernel_args="console=ttyS0 root=/dev/vda" \
  --disk path=$IMG/kernel.qcow2,size=4 --import --network none --graphics none --serial pty
gen fedora37-agent-watchdog 9 --osinfo fedora37 --memory 2048 --vcpus 2 \
  --disk path=$IMG/fedora-wd.qcow2,size=20 --import --network user,mac=$(mac 9) --graphics vnc \
  --channel unix,target.type=virtio,name=org.qemu.guest_agent.0 --watchdog i6300esb,action=reset \
  --rng /dev/urandom --panic default --memballoon virtio
gen ubuntu20.04-network 10 --osinfo ubuntu20.04 --memory 2048 --vcpus 2 \
  --disk path=$IMG/u20.qcow2,size=20 --import --network network=default,mac=$(mac 10) \
  --network bridge=br0,mac=$(mac 11),model=virtio --graphics vnc
gen debian10-floppy 11 --osinfo debian10 --machine pc --memory 1024 --vcpus 1 \
  --disk path=$IMG/d10.qcow2,size=10,bus=ide --disk path=$IMG/floppy.img,device=floppy,size=0.00144 \
  --cdrom $ISO --network user,mac=$(mac 12),model=rtl8139 --graphics vnc,password=s3cret --video cirrus \
  --boot menu=on,useserial=on
gen ubuntu22.04-spice-desktop 12 --osinfo ubuntu22.04 --memory 4096 --vcpus 2 \
  --disk path=$IMG/desk.qcow2,size=30 --import --network user,mac=$(mac 13) \
  --graphics spice,password=sp1ce --video qxl --sound ich9 --redirdev usb,type=spicevmc \
  --input keyboard,bus=virtio --input mouse,bus=usb --channel spicevmc
# Windows: SATA, e1000e, Hyper-V enlightenments, localtime clock, SPICE, TPM, UEFI with Secure Boot.
gen win10 13 --osinfo win10 --memory 4096 --vcpus 2 --disk path=$IMG/win10.qcow2,size=64 \
  --cdrom $ISO --network user,mac=$(mac 14) --graphics spice
gen win11 14 --osinfo win11 --memory 4096 --vcpus 4 --disk path=$IMG/win11.qcow2,size=64 \
  --cdrom $ISO --network user,mac=$(mac 15) --graphics spice --tpm emulator \
  --boot uefi,firmware.feature0.name=secure-boot,firmware.feature0.enabled=yes
gen win2k22 15 --osinfo win2k22 --memory 8192 --vcpus 4 --disk path=$IMG/win2k22.qcow2,size=80,bus=sata \
  --cdrom $ISO --network user,mac=$(mac 16),model=e1000e --graphics vnc --clock offset=localtime \
  --features hyperv.synic.state=on,hyperv.reset.state=on,kvm.hidden.state=on,smm.state=on \
  --xml ./features/hyperv/vpindex/@state=on --xml ./features/hyperv/runtime/@state=on \
  --xml ./features/hyperv/stimer/@state=on --xml ./features/hyperv/frequencies/@state=on
gen win7-pc 16 --osinfo win7 --machine pc --memory 2048 --vcpus 2 --disk path=$IMG/win7.qcow2,size=40 \
  --cdrom $ISO --network user,mac=$(mac 17) --graphics vnc --sound ac97
gen debian11-sysinfo 17 --osinfo debian11 --memory 1024 --vcpus 2 --disk path=$IMG/si.qcow2,size=10 \
  --import --network user,mac=$(mac 18) --graphics vnc \
  --sysinfo bios.vendor=Vireo,system.manufacturer=Vireo,system.product=Corpus,system.serial=0001 \
  --parallel file,path=/var/log/vireo-corpus-lpt.log --serial tcp,host=127.0.0.1:4555,mode=bind,protocol.type=telnet
gen fedora37-custom-cpu 18 --osinfo fedora37 --memory 2048 --vcpus 4,sockets=2,cores=2,threads=1 \
  --cpu Skylake-Client,+vmx,-hle,disable=rtm --disk path=$IMG/cpu.qcow2,size=10 --import \
  --network user,mac=$(mac 19) --graphics none --memballoon none --events on_crash=restart

echo "gen-virt-install-corpus: wrote $n files to $OUT from $URI"

# libvirt's own command line for each guest, as `virsh domxml-to-native qemu-argv` prints it: the
# reference the PCI address tests compare vireo's assignment with. TCG (type qemu), because
# that is what runs here; libvirt refuses host-passthrough/host-model CPUs and huge pages without
# hugetlbfs under TCG, so those are taken out first (they do not change addresses).
if command -v virsh >/dev/null; then
  mkdir -p "$OUT/libvirt-argv"
  tmp=$(mktemp)
  m=0
  for f in "$OUT"/*.xml; do
    name=$(basename "$f" .xml)
    sed -e 's/<domain type="kvm">/<domain type="qemu">/' -e '/<cpu mode="host-passthrough"\/>/d' \
        -e 's/<cpu mode="host-model">/<cpu>/' -e '/<hugepages\/>/d' "$f" > "$tmp"
    # Without the environment libvirt puts in front (LC_ALL, PATH, HOME...): it is host-specific.
    if virsh -c "$URI" domxml-to-native qemu-argv "$tmp" 2>/dev/null | sed -E 's#^([A-Z_]+=[^ ]* )+##' > "$OUT/libvirt-argv/$name.argv.tmp" \
        && [ -s "$OUT/libvirt-argv/$name.argv.tmp" ]; then
      mv "$OUT/libvirt-argv/$name.argv.tmp" "$OUT/libvirt-argv/$name.argv"
      m=$((m + 1))
    else
      rm -f "$OUT/libvirt-argv/$name.argv.tmp"
      echo "gen-virt-install-corpus: virsh domxml-to-native failed for $name" >&2
    fi
  done
  rm -f "$tmp"
  echo "gen-virt-install-corpus: wrote $m libvirt command lines to $OUT/libvirt-argv"
fi
