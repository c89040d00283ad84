#!/bin/sh
# Boot a kernel with an initramfs under qemu-system-x86_64 (TCG), serial console on stdout,
# with an outer timeout. Exit status: qemu's, or 124 when the timeout killed it.
#
# usage: scripts/qemu/boot.sh -k VMLINUZ -i INITRD.cpio [-d DISK.img]... [-l LOG] [-t SECONDS]
#                             [-m MEM] [-a "EXTRA KERNEL ARGS"] [-K] [-- EXTRA QEMU ARGS...]
#   -d DISK.img  a raw disk on virtio (vda, vdb, ... in this order), opened with snapshot=on
#   -l LOG       also write the serial log to LOG
#   -t SECONDS   outer timeout (default 300)
#   -m MEM       guest memory (default 1G)
#   -a ARGS      appended to "console=ttyS0 nokaslr no_timer_check panic=-1"
#   -K           boot WITHOUT nokaslr (KASLR on); never load fixed-base preresolved modules then
# no_timer_check: on a busy host, TCG can miss the IO-APIC timer check of early boot, and the kernel
# then panics ("IO-APIC + timer doesn't work!"); seen here with a load average of 10 on 2 CPUs.
set -eu

kernel=""; initrd=""; disks=""; log=""; tmo=300; mem=1G; extra=""; kaslr="nokaslr"
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts k:i:d:l:t:m:a:Kh opt; do
    case $opt in
        k) kernel=$OPTARG ;;
        i) initrd=$OPTARG ;;
        d) disks="$disks $OPTARG" ;;
        l) log=$OPTARG ;;
        t) tmo=$OPTARG ;;
        m) mem=$OPTARG ;;
        a) extra=$OPTARG ;;
        K) kaslr="" ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ -n "$kernel" ] && [ -n "$initrd" ] || usage
command -v qemu-system-x86_64 >/dev/null 2>&1 || { echo "boot: qemu-system-x86_64 missing (apt-get install qemu-system-x86)" >&2; exit 1; }

set -- -m "$mem" -nographic -no-reboot -nic none \
    -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 $kaslr no_timer_check panic=-1 $extra" "$@"
for d in $disks; do
    set -- "$@" -drive "file=$d,format=raw,if=virtio,snapshot=on"
done

start=$(date +%s.%N)
rc=0
if [ -n "$log" ]; then
    # The pipe would hide qemu's status; keep it in a file.
    st=$(mktemp); trap 'rm -f "$st"' EXIT
    { timeout -k 10 "$tmo" qemu-system-x86_64 "$@" </dev/null; echo $? > "$st"; } | tee "$log"
    rc=$(cat "$st")
else
    timeout -k 10 "$tmo" qemu-system-x86_64 "$@" </dev/null || rc=$?
fi
end=$(date +%s.%N)
echo "boot: rc=$rc seconds=$(awk "BEGIN{printf \"%.1f\", $end - $start}")" >&2
exit "$rc"
