#!/bin/bash
# SPDX-License-Identifier: MIT
#
# PID 1 of the guest once its root is the host's (tests/vm/init made it): the
# rest of a minimal system (/dev/pts, /dev/shm, /dev/fd), the
# modules the tests use, then the command in the run directory, with its
# standard output and error on the virtio ports "stdout" and "stderr" (the
# host prints them as they come). Its status goes to /run/weft-vm/status and
# the guest reboots, which ends QEMU (-no-reboot). A failure here is said on
# the console and leaves no status: the host reports that the guest failed.
#
# The run directory (/run/weft-vm, shared with the host) holds:
#   stage2   this script        env     the command's environment and directory
#   cmd      the command        modules the modules to load
# and gets: started, finished (the guest's uptime then), status.

run=/run/weft-vm
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

halt_now() {
	echo b >/proc/sysrq-trigger
	sleep 10 # the reboot is immediate; never return to the caller meanwhile
}

die() {
	echo "weft-vm stage2: $*"
	halt_now
}

# /tmp stays the host's, under the overlay like the rest: a script the host
# left there can be run in the guest, and what the guest writes stays in it.
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts || die "no devpts"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm || die "no tmpfs for /dev/shm"
# devtmpfs has none of these; bash's <(...) needs /dev/fd.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname weft-vm
ip link set lo up

read -r -a mods <"$run/modules"
modprobe -a "${mods[@]}" || die "modprobe ${mods[*]} failed"

port() { # port NAME: the device of the virtio serial port NAME
	local p
	for p in /sys/class/virtio-ports/*; do
		[ "$(cat "$p/name" 2>/dev/null)" = "$1" ] && echo "/dev/${p##*/}" && return 0
	done
	return 1
}
out=$(port stdout) || die "no virtio port 'stdout'"
err=$(port stderr) || die "no virtio port 'stderr'"

read -r up _ </proc/uptime
echo "$up" >"$run/started"
echo "weft-vm: booted in ${up}s, running the command"
# A child shell: the command's exit, or its set -e, cannot end PID 1.
bash -c '. "$1/env" && exec bash "$1/cmd"' stage2 "$run" </dev/null >"$out" 2>"$err"
rc=$?
read -r up _ </proc/uptime
echo "$up" >"$run/finished"
echo "weft-vm: the command exited with status $rc"
# The run directory is 9p without a cache: a write is on the host when it
# returns, so nothing needs syncing before the reboot.
echo "$rc" >"$run/status.new" && mv "$run/status.new" "$run/status" || die "cannot write the status"
halt_now
