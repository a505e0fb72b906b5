# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Process lists from the guest's own /proc and from vmictl, and their
# comparison. Needs tests/lib/guest.sh, $VMICTL and a scratch dir $work.

# "pid ppid comm" of every process, read from the guest's /proc; the
# listing shell and its children are left out (they are gone afterwards).
guest_procs()
{
	guest_run 'me=$$; for d in /proc/[0-9]*; do
		p=${d#/proc/}; s=$(cat $d/stat 2>/dev/null) || continue
		c=$(cat $d/comm 2>/dev/null) || continue
		set -- ${s##*) }; pp=$2
		[ "$p" = "$me" ] || [ "$pp" = "$me" ] || echo "$p $pp $c"
	done' | sort -n
}

# The same from vmictl's JSON, with the guest paused so it cannot change
# underneath the read.
vmictl_procs()
{
	guest_qmp stop >/dev/null
	"$@" --json ps >"$work/ps.json"
	local st=$?
	guest_qmp cont >/dev/null
	[ $st -eq 0 ] || return $st
	jq -r '.tasks[] | "\(.pid) \(.ppid) \(.comm)"' "$work/ps.json" | sort -n
}

# Compares vmictl's list (GOT) with the guest's /proc listings taken just
# before (BEFORE) and after (AFTER) it. Every process in both listings must
# be in GOT with the same ppid; every process in GOT must be in one of them
# (the rig's own short-lived helpers come and go between listings). /proc
# shows kernel threads' full names (and kworkers' current work) where the
# kernel keeps 15 characters in comm: there GOT's comm must be a prefix.
compare_procs()
{
	awk '
	FILENAME == ARGV[1] { b[$1] = $2 " " $3; next }
	FILENAME == ARGV[2] { a[$1] = $2 " " $3; next }
	{ g[$1] = $2 " " $3; gp[$1] = $2; gc[$1] = $3 }
	function same(pid, want,   w) {
		split(want, w, " ")
		if (gp[pid] != w[1]) return 0
		if (gc[pid] == w[2]) return 1
		return (w[1] == 2 || pid == 2) && index(w[2], gc[pid]) == 1
	}
	END {
		bad = 0
		for (p in b) if (p in a) {
			if (!(p in g)) { print "missing: " p " " b[p]; bad = 1 }
			else if (!same(p, b[p])) { print "differs: " p " " g[p] " vs /proc " b[p]; bad = 1 }
		}
		for (p in g) if (!(p in b) && !(p in a)) { print "extra: " p " " g[p]; bad = 1 }
		exit bad
	}' "$1" "$2" "$3"
}

