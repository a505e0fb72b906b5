#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages as a real system runs them: "make deb" builds
# vmiaas, vmiaas-dkms and vmiaas-agent-dkms; DKMS builds vmiaas.ko and
# vmiaas_agent.ko from the packages' sources against Debian's headers;
# the vmiaas package is installed with apt into a debootstrapped Debian
# 12 that boots under QEMU with systemd as PID 1, where vmid must come up
# by itself (Type=notify READY), answer vmictl, watch a VM (a saved
# Debian guest's RAM behind a process named like QEMU) from inside the
# unit's sandbox, reload, keep its watchdog fed and be restarted by it
# when it hangs. The guest reports on its second serial port; its
# "systemd-analyze security" verdict is printed here (docs/vmid.md).
# First run: a debootstrap (a few minutes, cached in .cache/sysguest).
. "$(dirname "$0")/../lib/guest.sh"

top=$VMIAAS_TOP
[ "$(id -u)" -eq 0 ] || tap_skip_all "needs root (debootstrap, chroot)"
for t in dpkg-buildpackage dh_dkms dkms debootstrap mkfs.ext4 qemu-system-x86_64; do
	command -v $t >/dev/null || tap_skip_all "$t is missing (scripts/deps.sh package)"
done

tap_plan 31
work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-deb.XXXXXX")
cleanup() { _guest_cleanup; rm -rf "$work"; }
trap cleanup EXIT
version=$(make -s --no-print-directory -C "$top" version)
deb=$work/deb/vmiaas_${version}_amd64.deb
dkmsdeb=$work/deb/vmiaas-dkms_${version}_all.deb
agentdeb=$work/deb/vmiaas-agent-dkms_${version}_all.deb

# ---- make deb ----------------------------------------------------------------
start=$(date +%s)
make -s --no-print-directory -C "$top" O="$work" deb >"$work/mkdeb.log" 2>&1 ||
	tap_diag "$(tail -n 20 "$work/mkdeb.log")"
tap_ok '[ -s "$deb" ] && [ -s "$dkmsdeb" ] && [ -s "$agentdeb" ]' \
	"make deb: vmiaas_${version}_amd64.deb, vmiaas-dkms and vmiaas-agent-dkms_${version}_all.deb"
[ -s "$deb" ] || tap_bail "no package to test"
depends=$(dpkg-deb -f "$deb" Depends)
tap_diag "make deb: $(($(date +%s) - start)) s" "Depends: $depends"
tap_ok 'for p in libc6 libbpf1 libjson-c5 libssl3 libsystemd0; do echo "$depends" | grep -q "$p"; done' \
	"Depends from shlibs: libc6, libbpf1, libjson-c5, libssl3, libsystemd0"
dpkg-deb -c "$deb" | awk '{print $6}' >"$work/files"
tap_ok 'for f in ./usr/sbin/vmid ./usr/bin/vmictl ./lib/systemd/system/vmid.service ./etc/vmiaas/vmid.conf ./usr/share/man/man8/vmid.8.gz ./usr/share/man/man8/vmictl.8.gz ./usr/include/linux/vmiaas.h ./usr/share/doc/vmiaas/copyright; do grep -qx "$f" "$work/files"; done' \
	"vmiaas holds vmid, vmictl, the unit, the config, man pages, the uapi header"
dpkg-deb -e "$deb" "$work/ctl"
tap_ok 'grep -qx /etc/vmiaas/vmid.conf "$work/ctl/conffiles"' "/etc/vmiaas/vmid.conf is a conffile"
tap_ok "grep -q \"deb-systemd-helper enable 'vmid.service'\" \"$work/ctl/postinst\" && grep -q 'deb-systemd-invoke \$_dh_action .vmid.service' \"$work/ctl/postinst\"" \
	"postinst enables vmid.service and starts it on a running systemd"

# ---- DKMS ----------------------------------------------------------------------
abi=$("$top/scripts/fetch-kernel.sh" 6.1)
dpkg -x "$dkmsdeb" "$work/dkms-pkg"
tap_ok '[ -f "$work/dkms-pkg/usr/src/vmiaas-$version/dkms.conf" ] && grep -qx "PACKAGE_VERSION=\"$version\"" "$work/dkms-pkg/usr/src/vmiaas-$version/dkms.conf"' \
	"vmiaas-dkms: /usr/src/vmiaas-$version with its dkms.conf (version filled in)"
# private DKMS trees: nothing is registered on this host
mkdir -p "$work/dkms"
start=$(date +%s)
dkms build -m vmiaas -v "$version" -k "$abi" --sourcetree "$work/dkms-pkg/usr/src" \
	--dkmstree "$work/dkms" >"$work/dkms.log" 2>&1 || tap_diag "$(tail -n 20 "$work/dkms.log")"
ko=$work/dkms/vmiaas/$version/$abi/x86_64/module/vmiaas.ko
tap_ok '[ -f "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$abi "' \
	"dkms build against the installed linux-headers-$abi gives vmiaas.ko for $abi"
tap_diag "dkms build: $(($(date +%s) - start)) s"
# the guest agent's package, for guests (built here for the guests' kernel)
dpkg -x "$agentdeb" "$work/agent-pkg"
dkms build -m vmiaas-agent -v "$version" -k "$abi" --sourcetree "$work/agent-pkg/usr/src" \
	--dkmstree "$work/dkms" >"$work/dkms-agent.log" 2>&1 || tap_diag "$(tail -n 20 "$work/dkms-agent.log")"
ko=$work/dkms/vmiaas-agent/$version/$abi/x86_64/module/vmiaas_agent.ko
tap_ok '[ -f "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$abi "' \
	"dkms build of vmiaas-agent-dkms gives vmiaas_agent.ko for $abi"

# ---- a VM for vmid to watch in the systemd guest -------------------------------
# The RAM of a booted Debian guest of the rig (paused while copied) and a
# stand-in for QEMU whose command line names it as a shared
# memory-backend-file: vmid attaches it with the shm backend, as it would
# a real QEMU (a QEMU inside the TCG guest would be far too slow).
guest_start --kernel 6.1 --mem 256 || tap_bail "the rig guest did not boot"
guest_qmp '{"execute":"stop"}' >/dev/null
cp --sparse=always "$GUEST_SHM" "$work/vm.ram"
guest_stop
printf 'int pause(void);\nint main(void) { for (;;) pause(); }\n' >"$work/fakeqemu.c"
gcc -static -O2 -o "$work/qemu-system-x86_64" "$work/fakeqemu.c"
cat >"$work/fakeqemu.service" <<'EOF'
[Unit]
Description=a stand-in for QEMU: its RAM is a saved Debian guest's
Before=vmid.service

[Service]
# in /dev/shm, where QEMU's RAM files usually are (vmid must see it there)
ExecStartPre=/bin/cp --sparse=always /var/lib/vmiaas-test/vm.ram /dev/shm/sysvm-ram
ExecStart=/usr/local/lib/vmiaas-test/qemu-system-x86_64 -name sysvm -machine pc,memory-backend=mem -object memory-backend-file,id=mem,size=256M,mem-path=/dev/shm/sysvm-ram,share=on

[Install]
WantedBy=multi-user.target
EOF
printf '# the test: attach soon after start, check often\nsettle = 3\ninterval = 5\n' >"$work/vmid.conf"

# ---- the systemd guest ---------------------------------------------------------
# Runs as a service once the system is up; every result is a KEY=VALUE
# line on ttyS1.
cat >"$work/systest" <<'EOF'
#!/bin/sh
exec >/dev/ttyS1 2>&1
r() { echo "$1=$2"; }
up() { r "UPTIME_$1" "$(cut -d' ' -f1 /proc/uptime)"; }
prop() { systemctl show -P "$1" vmid.service; }
wait_until() { i=0; while [ $i -lt $(($1 * 5)) ]; do eval "$2" && return 0; sleep 0.2; i=$((i + 1)); done; return 1; }

up START
r SYSTEM "$(systemctl is-system-running --wait)"
up RUNNING
r BOOT "$(systemd-analyze time | head -n 1)"
systemd-analyze blame --no-pager | head -n 8 | sed 's/^/BLAME: /'
r FAILED "$(systemctl list-units --failed --plain --no-legend | awk '{print $1}' | tr '\n' ' ')"
r ENABLED "$(systemctl is-enabled vmid.service)"
r ACTIVE "$(systemctl is-active vmid.service)"
r TYPE "$(prop Type)"
r WATCHDOG_USEC "$(prop WatchdogUSec)"
r STATUS "$(prop StatusText)"
r VERSION "$(vmid --version)"
pid=$(prop MainPID)
vmictl status >/tmp/st 2>&1
r VMICTL_RC $?
sed 's/^/VMICTL: /' /tmp/st
r VMICTL_JSON "$(vmictl --json status | tr -d '\n')"

# the VM: attached, baselined and checked by a worker inside the sandbox
up VM
wait_until 240 'vmictl --json status | tr -d "\n " | grep -q "\"checks\":[1-9]"'
up VM_CHECKED
js=$(vmictl --json status | tr -d '\n ')
r VM_JSON "$js"
vmictl status | sed 's/^/VMSTATUS: /'
w=$(echo "$js" | sed -n 's/.*"worker_pid":\([0-9]*\).*/\1/p')
r WORKER_SECCOMP "$(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/$w/status)"
r WORKER_CAPEFF "$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/$w/status)"
r WORKER_CAPBND "$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/$w/status)"
r WORKER_NNP "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' /proc/$w/status)"
r WORKER_UID "$(awk '/^Uid:/ { print $2 "," $3 "," $4 "," $5 }' /proc/$w/status)"
r VMIAAS_UID "$(id -u vmiaas 2>/dev/null)"
grep '"baseline"' /var/lib/vmiaas/events.jsonl | sed 's/^/EVENT: /'
# the metrics endpoint through the unit's IP firewall (loopback allowed)
bash -c 'exec 3<>/dev/tcp/127.0.0.1/9848 && printf "GET /metrics HTTP/1.0\r\n\r\n" >&3 && cat <&3' \
	>/tmp/metrics 2>&1
r METRICS_HTTP "$(head -n 1 /tmp/metrics | tr -d '\r')"
r METRICS_CHECKS "$(grep -c '^vmiaas_checks_total{vm="sysvm"' /tmp/metrics)"

up RELOAD
systemctl reload vmid.service
r RELOAD_RC $?
r RELOAD_ACTIVE "$(systemctl is-active vmid.service)"
r RELOAD_SAMEPID "$([ "$(prop MainPID)" = "$pid" ] && echo yes || echo no)"
sleep 1
journalctl -b -u vmid.service -o cat --no-pager | sed 's/^/JOURNAL: /'

# the watchdog: a short one, fed by vmid; then vmid hung (SIGSTOP)
up WATCHDOG
mkdir -p /run/systemd/system/vmid.service.d
printf '[Service]\nWatchdogSec=3\nRestartSec=1\nTimeoutAbortSec=5\n' \
	>/run/systemd/system/vmid.service.d/watchdog.conf
systemctl daemon-reload
systemctl restart vmid.service
t0=$(prop WatchdogTimestampMonotonic)
# READY=1 set the timestamp; each WATCHDOG=1 moves it: fed twice, on time
wait_until 10 '[ "$(prop WatchdogTimestampMonotonic)" -gt "$t0" ]'
t1=$(prop WatchdogTimestampMonotonic)
wait_until 10 '[ "$(prop WatchdogTimestampMonotonic)" -gt "$t1" ]'
r WD_ACTIVE "$(systemctl is-active vmid.service)"
r WD_RESTARTS "$(prop NRestarts)"
r WD_FED "$([ "$(prop WatchdogTimestampMonotonic)" -gt "$t1" ] && echo yes || echo no)"
up HANG
pid=$(prop MainPID)
kill -STOP "$pid"
wait_until 40 '[ "$(prop NRestarts)" -ge 1 ] && [ "$(prop MainPID)" != "$pid" ] && [ "$(systemctl is-active vmid.service)" = active ]'
up RESTARTED
r WD_HUNG_RESTARTS "$(prop NRestarts)"
r WD_HUNG_ACTIVE "$(systemctl is-active vmid.service)"
journalctl -b -u vmid.service -o cat --no-pager | grep -i watchdog | sed 's/^/WDLOG: /'
rm -rf /run/systemd/system/vmid.service.d
systemctl daemon-reload

up SECURITY
echo SECURITY-BEGIN
systemd-analyze security --no-pager vmid.service
echo SECURITY-END
up DONE
r DONE yes
systemctl poweroff --no-block
EOF
cat >"$work/systest.service" <<'EOF'
[Unit]
Description=vmiaas package test: reports to ttyS1
After=vmid.service

[Service]
Type=simple
ExecStart=/usr/local/sbin/vmiaas-systest

[Install]
WantedBy=multi-user.target
EOF

chmod 0755 "$work/systest"
start=$(date +%s)
"$top/scripts/sysguest.sh" image --deb "$deb" \
	--add "$work/systest:/usr/local/sbin/vmiaas-systest" \
	--add "$work/systest.service:/etc/systemd/system/vmiaas-systest.service" \
	--add "$work/vm.ram:/var/lib/vmiaas-test/vm.ram" \
	--add "$work/qemu-system-x86_64:/usr/local/lib/vmiaas-test/qemu-system-x86_64" \
	--add "$work/fakeqemu.service:/etc/systemd/system/vmiaas-fakeqemu.service" \
	--add "$work/vmid.conf:/etc/vmiaas/vmid.conf" \
	--enable vmiaas-fakeqemu.service \
	--enable vmiaas-systest.service "$work/root.img" >"$work/image.log" 2>&1 ||
	tap_diag "$(tail -n 20 "$work/image.log")"
tap_ok '[ -s "$work/root.img" ]' "Debian 12 image with the package installed by apt (no download)"
tap_diag "image: $(($(date +%s) - start)) s"
[ -s "$work/root.img" ] || tap_bail "no image"

start=$(date +%s)
rc=0
"$top/scripts/sysguest.sh" boot --timeout 900 "$work/root.img" "$work/run" \
	>"$work/boot.log" 2>&1 || rc=$?
tap_is "$rc" 0 "the guest booted, ran the checks and powered off"
[ "$rc" = 0 ] || tap_diag "$(cat "$work/boot.log")"
tap_diag "boot to power-off: $(($(date +%s) - start)) s" "$(grep '^BOOT=\|^BLAME: ' "$work/run/ttyS1.log" | tr -d '\r')"
res=$work/run/ttyS1.log
tr -d '\r' <"$res" >"$res.txt" 2>/dev/null || :
val() { sed -n "s/^$1=//p" "$res.txt" | tail -n 1; }
if [ "$(val DONE)" != yes ]; then
	tap_diag "guest console (end):" "$(tail -n 40 "$work/run/console.log" 2>/dev/null | tr -d '\r')"
	tap_diag "guest reports:" "$(cat "$res.txt" 2>/dev/null)"
fi

tap_ok 'grep -q "Welcome to .*Debian GNU/Linux 12" "$work/run/console.log"' "systemd is PID 1 in the guest (its welcome on the console)"
tap_is "$(val SYSTEM)" running "systemctl is-system-running: running (nothing failed)"
[ "$(val SYSTEM)" = running ] || tap_diag "failed units: $(val FAILED)"
tap_is "$(val ENABLED)" enabled "vmid.service enabled by the package"
tap_is "$(val ACTIVE)" active "systemctl is-active vmid: active (READY=1 reached)"
tap_is "$(val TYPE)" notify "Type=notify"
tap_ok '[ -n "$(val STATUS)" ]' "STATUS= reported: '$(val STATUS)'"
tap_is "$(val VERSION)" "vmid $version" "the installed vmid is $version"
tap_is "$(val VMICTL_RC)" 0 "vmictl status reaches vmid over /run/vmiaas/vmid.sock"
tap_ok 'val VMICTL_JSON | jq -e ".vms | type == \"array\""' "vmictl --json status: a document with the VM list"
js=$(val VM_JSON)
vmjq() { jq -r ".vms[] | select(.name == \"sysvm\") | .$1" <<<"$js" 2>/dev/null; }
tap_ok '[ "$(vmjq backend)" = shm ] && [ "$(vmjq shm)" = /dev/shm/sysvm-ram ] && [ "$(vmjq checks)" -ge 1 ] && [ "$(vmjq restarts)" = 0 ] && echo "$(vmjq state)" | grep -qx "ready\|checking"' \
	"vmid in its sandbox attached the VM (/dev/shm RAM file), baselined it and checked it ($(vmjq checks) checks, $(vmjq kernel))"
[ "$(vmjq checks)" -ge 1 ] 2>/dev/null || tap_diag "status: $js" "$(grep '^VMSTATUS\|^JOURNAL' "$res.txt")"
tap_ok '[ "$(val WORKER_SECCOMP)" = 2 ] && [ "$(val WORKER_CAPEFF)" = 0000000000000000 ] && [ "$(val WORKER_CAPBND)" = 0000000000000000 ] && [ "$(val WORKER_NNP)" = 1 ]' \
	"its worker: seccomp filter, no capabilities (effective, bounding), no_new_privs"
u=$(val VMIAAS_UID)
tap_ok '[ -n "$u" ] && [ "$u" != 0 ] && [ "$(val WORKER_UID)" = "$u,$u,$u,$u" ]' \
	"its worker runs as the vmiaas user the package created (uid ${u:-none})"
tap_ok 'grep -q "^EVENT: .*trust on first use" "$res.txt"' "the baseline event (trust on first use) in events.jsonl"
tap_ok '[ "$(val METRICS_HTTP)" = "HTTP/1.0 200 OK" ] && [ "$(val METRICS_CHECKS)" -ge 1 ]' \
	"the metrics endpoint answers on 127.0.0.1:9848 through the IP firewall, with the VM's series"
tap_is "$(val RELOAD_RC)" 0 "systemctl reload vmid: exit 0"
tap_ok '[ "$(val RELOAD_ACTIVE)" = active ] && [ "$(val RELOAD_SAMEPID)" = yes ]' \
	"after the reload: still active, same process"
tap_ok 'grep -q "^JOURNAL: .*reload" "$res.txt"' "vmid's reload in the journal"
tap_is "$(val WATCHDOG_USEC)" 1min "the watchdog is on (WatchdogSec=60)"
tap_ok '[ "$(val WD_ACTIVE)" = active ] && [ "$(val WD_RESTARTS)" = 0 ] && [ "$(val WD_FED)" = yes ]' \
	"WatchdogSec=3: vmid keeps it fed (two pings, no restart)"
tap_ok '[ "$(val WD_HUNG_RESTARTS)" -ge 1 ] && [ "$(val WD_HUNG_ACTIVE)" = active ] && grep -q "^WDLOG: .*atchdog timeout" "$res.txt"' \
	"vmid hung (SIGSTOP): watchdog timeout, restarted, active again"
sed -n '/^SECURITY-BEGIN/,/^SECURITY-END/p' "$res.txt" | sed '1d;$d' >"$work/security"
score=$(sed -n 's/.*Overall exposure level for vmid.service: *//p' "$work/security")
tap_ok '[ -n "$score" ]' "systemd-analyze security vmid.service: $score"
tap_diag "$(cat "$work/security")" "guest uptime at each step:" "$(grep '^UPTIME_' "$res.txt")"
tap_done
