#!/usr/bin/env bash
# The main job, end to end: set up, start a vireod, define and boot the tiny guest from libvirt
# domain XML, show it the way virsh would, read its console, shut it down through ACPI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2

root=$(mktemp -d /tmp/vireo-demo.XXXXXX)
sock="$root/run/vireod.sock"
export VIREO_DEFAULT_URI="vireo+unix:///system?socket=$sock"
guest="$PWD/.cache/guest"
daemon_pid=
cleanup() {
  bin/vireo destroy demo >/dev/null 2>&1 || true
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  rm -rf "$root"
}
trap cleanup EXIT

run() { printf '\n$ vireo %s\n' "$*"; bin/vireo "$@"; }
# wait_for SECONDS WHAT COMMAND...: poll COMMAND until it succeeds; fail naming WHAT after SECONDS.
wait_for() {
  local limit=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + limit))
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "demo: timed out after ${limit} s waiting for $what" >&2
      [ -s "$root/vireod.log" ] && tail -20 "$root/vireod.log" >&2
      exit 1
    fi
    sleep 0.1
  done
}
answers() { bin/vireo uri >/dev/null 2>&1; }
ready() { bin/vireo console-log demo 2>/dev/null | grep -q 'vireo-guest: ready'; }
shut_off() { [ "$(bin/vireo domstate demo)" = "shut off" ]; }

bin/vireod --root "$root" 2>"$root/vireod.log" &
daemon_pid=$!
wait_for 30 "vireod to answer on $sock" answers

qemu-img create -q -f qcow2 "$root/demo.qcow2" 1G   # thin: takes almost no space
cat >"$root/demo.xml" <<XML
<domain type='qemu'>
  <name>demo</name>
  <title>vireo demo guest</title>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$guest/vmlinux</kernel>
    <initrd>$guest/initrd.img</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$root/demo.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='user'><model type='virtio'/></interface>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
  </devices>
</domain>
XML

run define "$root/demo.xml"
run start demo
printf '\n(waiting for the guest to boot)\n'
wait_for 180 "the guest's ready line on its console" ready
run list --all --title
run dominfo demo
run domstate --reason demo
printf '\n$ vireo console-log demo    # the serial console, kept by vireod\n'
bin/vireo console-log demo | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g'
run shutdown demo
wait_for 60 "the guest to shut off" shut_off
run domstate --reason demo
run undefine demo
run list --all
