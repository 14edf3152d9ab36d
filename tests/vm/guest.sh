#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Runs a command as root in a Linux guest: Debian's own kernel (linux-image-amd64)
# under QEMU's software emulation, on this machine's root file system shared
# read-only over virtio-9p with a tmpfs overlay on top, so the project, its
# build and every tool are at the same paths as here, and nothing the guest
# writes reaches the host. For what this host's kernel lacks (ESP, GCM: the
# kernel data path); TCG is slow, so it tests function, never speed.
#
#   tests/vm/guest.sh [--timeout S] [--smp N] [--mem MIB] [--console] [--] COMMAND...
#
# COMMAND runs in the current directory, with PATH set to Debian's default and
# these variables passed in: BUILD, WEFT, WEFT_*, WF_*; WEFT_IN_VM=1 is set.
# Its standard output and error are printed here as they come; guest.sh exits
# with its status, or with
#   124  the guest did not boot, or COMMAND did not finish, within --timeout S
#        (default 600); the message says which
#   125  the guest could not be started or died before COMMAND finished (no
#        QEMU, no kernel, a failed mount in the guest...), or this is not root
# and then prints the end of the guest's console. --console prints all of it.
# One line on standard error says how long the boot and COMMAND took; it is
# also appended to build/vm/times.log.
#
# What it needs (installed with apt-get if missing: scripts/deps.sh vm):
# qemu-system-x86, linux-image-amd64 (its kernel in /boot, its modules in
# /lib/modules, which the guest loads through the share), busybox-static and
# cpio for the initramfs, xz-utils to unpack the kernel; both kept in build/vm/
# and made again when this script, tests/vm/init, busybox or the kernel changes.
#
# No -enable-kvm: /dev/kvm exists on these machines but the CPU shows no vmx or
# svm; tried once, with -cpu host QEMU aborted ("failed to set MSR 0x10a"), and
# with its default CPU the kernel printed nothing in 60 s.
set -eEu -o pipefail

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$VM_DIR/../.." && pwd)
CACHE=$ROOT/build/vm
ME=${BASH_SOURCE[0]}

timeout=600
# One vCPU: on these 2-core machines, busy with other builds, tests/vm/10-esp-kernel
# took 57-60 s of COMMAND with one and 85-90 s with two (MTTCG's vCPUs wait on
# each other for IPIs and TLB flushes); the boot is about the same.
smp=1
mem=1024
console=0

# The initramfs loads only what mounting the root takes; stage2 the rest,
# from the host's /lib/modules through the share.
INITRD_MODULES="virtio_pci 9pnet_virtio 9p overlay"
GUEST_MODULES="virtio_console tun veth xfrm_user esp4 esp6 xfrm_interface"

usage() {
	echo "usage: $0 [--timeout S] [--smp N] [--mem MIB] [--console] [--] COMMAND..." >&2
	exit 125
}

say() { echo "guest.sh: $*" >&2; }

# Failures start with FAIL, as the tests' own do: tests/run.sh shows those lines first.
failed() { echo "FAIL: guest.sh: $*" >&2; }

die() { # die STATUS MESSAGE...
	local rc=$1
	shift
	failed "$*"
	exit "$rc"
}

while [ $# -gt 0 ]; do
	case $1 in
	--timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
	--smp) [ $# -ge 2 ] || usage; smp=$2; shift 2 ;;
	--mem) [ $# -ge 2 ] || usage; mem=$2; shift 2 ;;
	--console) console=1; shift ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || usage
[[ $timeout =~ ^[0-9]+$ && $smp =~ ^[0-9]+$ && $mem =~ ^[0-9]+$ ]] || usage
[ "$(id -u)" = 0 ] || die 125 "needs root (the guest reads the host's whole root file system)"

now_ms() { # wall clock, in milliseconds
	local t=${EPOCHREALTIME//[!0-9]/}
	echo $((t / 1000))
}

secs() { # secs MS: "12.3"
	printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100))
}

# --- what the guest needs ----------------------------------------------------

sh "$ROOT/scripts/deps.sh" vm >&2 || die 125 "could not install the guest's packages"

# The kernel linux-image-amd64 points at, unless WEFT_VM_KERNEL names another.
kver=${WEFT_VM_KERNEL:-$(dpkg-query -W -f='${Depends}' linux-image-amd64 |
	sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')}
kernel=/boot/vmlinuz-$kver
[ -n "$kver" ] && [ -r "$kernel" ] || die 125 "no guest kernel: '$kernel' (is linux-image-amd64 installed?)"
[ -d "/lib/modules/$kver" ] || die 125 "no modules for the guest kernel in /lib/modules/$kver"

vmlinux() { # print the kernel to boot: the uncompressed ELF if it can be had
	# QEMU boots an ELF kernel through its PVH entry directly; the bzImage's
	# own xz decompression costs about 3 s of every boot under TCG.
	local elf=$CACHE/vmlinux-$kver off
	if [ ! "$elf" -nt "$kernel" ]; then # none yet, or the package was updated
		mkdir -p "$CACHE"
		off=$(LC_ALL=C grep -abo -m 1 $'\xfd7zXZ\x00' "$kernel" | head -n 1 | cut -d: -f1) || true
		# (Through a file: in a pipe, tail would die of SIGPIPE when xz stops.)
		if [ -n "$off" ] && tail -c +$((off + 1)) "$kernel" >"$elf.xz.$$" &&
			xz -dc --single-stream "$elf.xz.$$" >"$elf.$$" 2>/dev/null &&
			[ "$(head -c 4 "$elf.$$")" = $'\x7fELF' ]; then
			rm -f "$elf.xz.$$"
			mv -f "$elf.$$" "$elf"
		else
			rm -f "$elf.$$" "$elf.xz.$$"
			say "cannot unpack $kernel: booting it as it is (slower)"
			echo "$kernel"
			return
		fi
	fi
	echo "$elf"
}
boot_kernel=$(vmlinux)

initramfs() { # print the initramfs's path, building it first if needed
	local key img tmp ko
	key=$({
		echo "$kver $INITRD_MODULES"
		stat -c '%n %s %Y' "$kernel" "/lib/modules/$kver/modules.dep"
		cat "$ME" "$VM_DIR/init" /bin/busybox
	} | sha256sum | cut -c1-16)
	img=$CACHE/initramfs-$kver-$key.cpio
	if [ -f "$img" ]; then
		echo "$img"
		return
	fi
	say "building $img"
	mkdir -p "$CACHE"
	tmp=$(mktemp -d "$CACHE/initramfs.XXXXXX")
	mkdir -p "$tmp"/{bin,dev,proc,sys,lower,rw,newroot,lib/modules}
	cp /bin/busybox "$tmp/bin/busybox"
	install -m 0755 "$VM_DIR/init" "$tmp/init"
	mknod "$tmp/dev/console" c 5 1 # the kernel opens it before devtmpfs exists
	# In load order, dependencies first, each once.
	# shellcheck disable=SC2086
	for ko in $(modprobe -S "$kver" --show-depends -a $INITRD_MODULES |
		awk '$1 == "insmod" && !seen[$2]++ { print $2 }'); do
		cp "$ko" "$tmp/lib/modules/"
		basename "$ko" >>"$tmp/modules"
	done
	[ -s "$tmp/modules" ] || { rm -rf "$tmp"; die 125 "no modules found for $INITRD_MODULES"; }
	# Uncompressed: QEMU loads it as it is, and TCG would be slow at inflating it.
	(cd "$tmp" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$tmp.cpio"
	rm -rf "$tmp"
	mv -f "$tmp.cpio" "$img" # atomic: a concurrent run sees all of it or none
	find "$CACHE" -maxdepth 1 -name 'initramfs-*.cpio' ! -name "${img##*/}" -delete
	echo "$img"
}
initrd=$(initramfs)

# --- the run directory: what the guest runs, and where it answers -------------

run=$(mktemp -d "${TMPDIR:-/tmp}/weft-vm.XXXXXX")
QEMU_PID=
CAT_PIDS=()

alive() { # alive PID: running (not a zombie) and still our child
	local stat state ppid
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	read -r state ppid _ <<<"${stat##*) }"
	[ "$state" != Z ] && [ "$ppid" = $$ ]
}

cleanup() {
	local rc=$? p
	set +e
	trap - ERR
	if [ -n "$QEMU_PID" ] && alive "$QEMU_PID"; then
		kill -KILL "$QEMU_PID"
		wait "$QEMU_PID" 2>/dev/null
	fi
	for p in "${CAT_PIDS[@]}"; do
		alive "$p" && kill -TERM "$p"
		wait "$p" 2>/dev/null
	done
	rm -rf "$run"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

cp "$VM_DIR/stage2.sh" "$run/stage2"
echo "$GUEST_MODULES" >"$run/modules"
{
	printf 'cd %q || { echo "guest.sh: no directory %q in the guest" >&2; exit 125; }\n' "$PWD" "$PWD"
	echo "export HOME=/root WEFT_IN_VM=1"
	for v in $(compgen -e); do
		case $v in BUILD | WEFT | WEFT_* | WF_*) printf 'export %s=%q\n' "$v" "${!v}" ;; esac
	done
} >"$run/env"
printf 'exec' >"$run/cmd"
printf ' %q' "$@" >>"$run/cmd"
echo >>"$run/cmd"

# The command's output: each virtio port is a FIFO whose reader prints it here.
mkfifo "$run/out" "$run/err"
cat "$run/out" &
CAT_PIDS+=($!)
cat "$run/err" >&2 &
CAT_PIDS+=($!)

# --- the guest -----------------------------------------------------------------

qemu=(qemu-system-x86_64
	-machine q35 -accel tcg -cpu max -smp "$smp" -m "$mem"
	-nodefaults -no-user-config -display none -monitor none -no-reboot -nic none
	-kernel "$boot_kernel" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 quiet mitigations=off"
	-chardev "file,id=con,path=$run/console.log" -serial chardev:con
	-fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
	-fsdev "local,id=weftrun,path=$run,security_model=none"
	-device virtio-9p-pci,fsdev=weftrun,mount_tag=weftrun
	-device virtio-serial-pci,id=vser
	-chardev "file,id=out,path=$run/out" -device virtserialport,bus=vser.0,chardev=out,name=stdout
	-chardev "file,id=err,path=$run/err" -device virtserialport,bus=vser.0,chardev=err,name=stderr)

start=$(now_ms)
"${qemu[@]}" </dev/null >"$run/qemu.log" 2>&1 &
QEMU_PID=$!
booted= timed_out=
deadline=$((start + timeout * 1000))
while alive "$QEMU_PID"; do
	now=$(now_ms)
	[ -n "$booted" ] || [ ! -f "$run/started" ] || booted=$((now - start))
	if [ "$now" -ge "$deadline" ]; then
		timed_out=1
		kill -TERM "$QEMU_PID"
		break
	fi
	sleep 0.2
done
if [ -n "$timed_out" ]; then
	end=$(($(now_ms) + 5000))
	while alive "$QEMU_PID" && [ "$(now_ms)" -lt "$end" ]; do sleep 0.1; done
	alive "$QEMU_PID" && kill -KILL "$QEMU_PID"
fi
qrc=0
wait "$QEMU_PID" || qrc=$?
QEMU_PID=
total=$(($(now_ms) - start))

# A reader still waiting to open its FIFO (QEMU never did) gets a writer that
# closes at once: end of file. Then every byte the guest wrote has been printed.
for f in out err; do
	: 1<>"$run/$f"
done
for p in "${CAT_PIDS[@]}"; do
	wait "$p" || true
done
CAT_PIDS=()

cp "$run/console.log" "$CACHE/console.log" 2>/dev/null || true
if [ $console = 1 ] && [ -f "$run/console.log" ]; then
	say "the guest's console:"
	sed 's/^/    /' "$run/console.log" >&2
fi

show_console() {
	say "end of the guest's console (all of it: $CACHE/console.log):"
	tail -n 30 "$run/console.log" 2>/dev/null | sed 's/^/    /' >&2
	if [ -s "$run/qemu.log" ]; then
		say "QEMU said:"
		sed 's/^/    /' "$run/qemu.log" >&2
	fi
}

if [ -f "$run/status" ]; then
	rc=$(cat "$run/status")
	read -r t0 <"$run/started"
	read -r t1 <"$run/finished"
	ran=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	line="Linux $kver, $smp vCPU: booted in $(secs "${booted:-0}") s, COMMAND $ran s, exit $rc (total $(secs "$total") s)"
	say "$line"
	echo "$(date -u +%FT%TZ) $line: $*" >>"$CACHE/times.log"
	exit "$rc"
fi
if [ -n "$timed_out" ]; then
	if [ -f "$run/started" ]; then
		failed "COMMAND did not finish within ${timeout}s (the guest booted in $(secs "${booted:-0}") s); QEMU killed"
	else
		failed "the guest did not boot within ${timeout}s; QEMU killed"
	fi
	show_console
	exit 124
fi
if [ -f "$run/started" ]; then
	failed "the guest ended while COMMAND ran (QEMU exit $qrc)"
else
	failed "the guest ended before running COMMAND (QEMU exit $qrc)"
fi
show_console
exit 125
