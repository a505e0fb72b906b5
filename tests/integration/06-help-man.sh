#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# --help against the manual pages, so that they cannot drift apart: for
# vmictl and vmid, the options --help lists, the ones the man page
# (docs/man) documents and the ones the parser's option table accepts
# are the same sets; each vmictl command has the same synopsis (option
# names and argument shape; metavariables may differ in case) and the
# same options in "vmictl help CMD" and in vmictl(8), and accepts them;
# every default --help states is the one the man page states; vmid's
# configuration keys are those its parser knows, its example vmid.conf
# shows and vmid(8) documents; the guest agent's module parameters are
# those vmiaas_agent(4) documents. No guest needed.
. "$(dirname "$0")/../lib/guest.sh"

top=$VMIAAS_TOP
build=${VMIAAS_BUILD:-$top/build}
vmictl=${VMICTL:-$build/vmictl}
vmid=$build/vmid
[ -x "$vmictl" ] && [ -x "$vmid" ] ||
	tap_skip_all "no vmictl/vmid in $build (make userspace)"
command -v awk >/dev/null || tap_skip_all "no awk"

work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-helpman.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- the man page as plain text ---------------------------------------
# man_plain FILE: one line per input line; "@TP", "@RS", "@RE", "@PP" and
# "@SH NAME" mark the structure, font macros are joined as they render
# (.BR a b -> ab, .B a b -> a b), escapes become their characters.
man_plain()
{
	awk '
	function unesc(s) {
		gsub(/\\f[BIRP]/, "", s)
		gsub(/\\\(aq/, "\047", s)
		gsub(/\\\((dq|lq|rq)/, "\"", s)
		gsub(/\\\(rs/, "\\", s)
		gsub(/\\[c&]/, "", s)
		gsub(/\\ /, " ", s)
		gsub(/\\-/, "-", s)
		gsub(/\\e/, "\\", s)
		return s
	}
	# the arguments of a macro, "quoted" ones whole, joined by sep
	function args(s, sep,    out, cur, i, c, q, n, st) {
		out = ""; cur = ""; q = 0; n = 0; st = 0
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (c == "\"") { q = !q; st = 1; continue }
			if (c == " " && !q) {
				if (st) out = out (n++ ? sep : "") cur
				cur = ""; st = 0
				continue
			}
			cur = cur c; st = 1
		}
		if (st) out = out (n++ ? sep : "") cur
		return out
	}
	/^\.\\"/ { next }
	/^\./ {
		m = $1; sub(/^\./, "", m)
		rest = $0; sub(/^\.[^ ]*[ ]*/, "", rest)
		if (m == "B" || m == "I" || m == "SY")
			print unesc(args(rest, " "))
		else if (m ~ /^(BR|RB|BI|IB|IR|RI)$/)
			print unesc(args(rest, ""))
		else if (m ~ /^(TP|RS|RE|PP)$/)
			print "@" m
		else if (m == "SH" || m == "SS")
			print "@SH " args(rest, " ")
		next
	}
	{ print unesc($0) }' "$1"
}

# man_entries FILE SECTION: the .TP entries of a section, one line each:
# "TOP<TAB>DEPTH<TAB>TAG<TAB>BODY" where TOP is the tag of the enclosing
# depth-0 entry (itself at depth 0) and BODY the entry's text in one line.
man_entries()
{
	man_plain "$1" | awk -v sec="$2" '
	function flush() {
		if (have) print top "\t" tdepth "\t" tag "\t" body
		have = 0
	}
	/^@SH / { flush(); in_sec = ($0 == "@SH " sec); depth = 0; next }
	!in_sec { next }
	/^@RS/ { flush(); depth++; next }
	/^@RE/ { flush(); depth--; next }
	/^@TP/ { flush(); want = 1; next }
	/^@PP/ { flush(); next }
	want {
		tag = $0; tdepth = depth; want = 0; have = 1; body = ""
		if (!depth) top = tag
		next
	}
	have { body = body " " $0 }
	END { flush() }'
}

# man_section FILE SECTION: the section's text in one line
man_section()
{
	man_plain "$1" | awk -v sec="$2" '
	/^@SH / { in_sec = ($0 == "@SH " sec); next }
	in_sec && !/^@/ { printf "%s ", $0 }'
}

# ---- --help as data ---------------------------------------------------
# help_entries: --help text on stdin to "TAG<TAB>BODY" lines, one per
# option line (two to six spaces, then "-"); TAG is what comes before the
# first two spaces, BODY the rest and the more deeply indented lines
# that follow it.
help_entries()
{
	awk '
	function flush() { if (have) print tag "\t" body; have = 0 }
	# (no interval expressions: mawk lacks them)
	/^  +-/ && match($0, /^ +/) && RLENGTH <= 6 {
		flush()
		s = $0; sub(/^ +/, "", s)
		i = index(s, "  ")
		if (i) { tag = substr(s, 1, i - 1); body = substr(s, i) }
		else { tag = s; body = "" }
		have = 1
		next
	}
	have && /^       +[^ ]/ { body = body " " $0; next }
	{ flush() }
	END { flush() }'
}

# ---- normalising ------------------------------------------------------
# shape: an option/synopsis text with its metavariables (FILE, file,
# ADDR:PORT, auto|yes|no) as ARG and without braces, so that vmictl.8's
# "--key keyfile" and --help's "--key KEY" compare equal.
shape()
{
	sed -E 's/[{}]//g; s/(^|[][ |,])[A-Za-z][A-Za-z0-9_:.-]*/\1ARG/g;
		s/ +/ /g; s/^ //; s/ $//'
}

# options: every option name ("-x", "--name") in a text, one per line
options()
{
	grep -oE '(^|[][ |,{(])--?[a-zA-Z][a-zA-Z0-9-]*' |
		sed -E 's/^[][ |,{(]//' | LC_ALL=C sort -u
}

# default_of: the value after "default" (or "default:") in a text,
# lower-cased, without the punctuation that follows it; empty if none.
default_of()
{
	grep -oE 'default:? +[^ ]+' | head -n 1 |
		sed -E 's/^default:? +//; s/^\(//; s/[,;:.)]+$//' |
		tr '[:upper:]' '[:lower:]'
}

# source_options FILE ARRAY: the long options of a struct option table
source_options()
{
	sed -n "/$2\\[\\] = {/,/^};/p" "$1" |
		grep -oE '^[[:space:]]*\{ *"[a-z][a-z0-9-]*"' |
		sed -E 's/.*"(.*)"/--\1/' | LC_ALL=C sort -u
}

# same_set DESC A B [empty-ok]: A and B (sorted lines) are equal, and not
# empty unless "empty-ok" (a command without options); the difference is
# printed otherwise.
same_set()
{
	local desc=$1
	if [ -z "$2" ] && [ "${4:-}" != empty-ok ]; then
		tap_is "nothing read" "two sets" "$desc"
		return
	fi
	if [ "$2" = "$3" ]; then
		tap_is 0 0 "$desc"
		return
	fi
	tap_is "different" "same" "$desc"
	tap_diag "only in the first: $(comm -23 <(echo "$2") <(echo "$3") | tr '\n' ' ')"
	tap_diag "only in the second: $(comm -13 <(echo "$2") <(echo "$3") | tr '\n' ' ')"
}

# check_defaults WHAT HELP_ENTRIES MAN_ENTRIES: for every option, the
# default in --help and the man page is the same (or neither states one).
# HELP_ENTRIES: "TAG<TAB>BODY"; MAN_ENTRIES: "TAG<TAB>BODY".
check_defaults()
{
	local what=$1 tag body opt hd md bad=
	while IFS=$'\t' read -r tag body; do
		opt=$(echo "$tag" | options | tail -n 1)
		[ -n "$opt" ] || continue
		hd=$(echo "$body" | default_of)
		body=$(echo "$3" | awk -F'\t' -v o="$opt" '{
			n = split($1, w, /[ ,]+/)
			for (i = 1; i <= n; i++) if (w[i] == o) { print $2; exit }
		}')
		md=$(echo "$body" | default_of)
		[ "$hd" = "$md" ] ||
			bad="$bad $opt(--help: '${hd:-none}', man: '${md:-none}')"
	done <<<"$2"
	tap_is "${bad# }" "" "$what: the same defaults in --help and the man page"
}

# ======================================================================
# vmictl
vman=$top/docs/man/vmictl.8
"$vmictl" --help >"$work/vmictl.help" 2>&1 || tap_bail "vmictl --help failed"
cmds=$(sed -n '/^Commands:/,/^$/p' "$work/vmictl.help" |
	awk '/^  [a-z]/ { print $1 }')
tap_plan $((15 + 4 * $(echo "$cmds" | wc -l)))

# The global options: targets and common options.
hglobal=$(sed -n '/^Targets/,/^$/p; /^Options:/,/^$/p' "$work/vmictl.help" |
	help_entries)
mglobal=$(man_entries "$vman" TARGETS; man_entries "$vman" OPTIONS)
mglobal=$(echo "$mglobal" | cut -f 3,4)
same_set "vmictl: the targets and options of --help are vmictl(8)'s" \
	"$(echo "$hglobal" | cut -f 1 | options)" \
	"$(echo "$mglobal" | cut -f 1 | options)"
check_defaults "vmictl: targets and options" "$hglobal" "$mglobal"
same_set "vmictl: vmictl(8)'s synopsis has every target and option" \
	"$(echo "$hglobal" | cut -f 1 | options)" \
	"$(man_section "$vman" SYNOPSIS | options)"

# The commands.
mcmds=$(man_entries "$vman" COMMANDS)
same_set "vmictl: the commands of --help are vmictl(8)'s" \
	"$(echo "$cmds" | LC_ALL=C sort)" \
	"$(echo "$mcmds" | awk -F'\t' '$2 == 0 { split($3, w, " "); print w[1] }' |
		LC_ALL=C sort)"

hall=$(echo "$hglobal" | cut -f 1 | options)
for cmd in $cmds; do
	"$vmictl" help "$cmd" >"$work/help.$cmd" 2>&1
	syn=$(sed -n "s/^Usage: vmictl \[TARGET\] \[--json\] $cmd *//p" "$work/help.$cmd")
	hopts=$(help_entries <"$work/help.$cmd")
	mtag=$(echo "$mcmds" | awk -F'\t' -v c="$cmd" '
		$2 == 0 { split($3, w, " "); if (w[1] == c) { print $3; exit } }')
	mrest=$(echo "$mtag" | cut -s -d' ' -f 2-)
	mopts=$(echo "$mcmds" | awk -F'\t' -v c="$cmd" '
		{ split($1, w, " ") } w[1] == c && $2 == 1 { print $3 "\t" $4 }')
	tap_is "$(echo "$syn" | shape)" "$(echo "$mrest" | shape)" \
		"vmictl $cmd: the synopsis of 'vmictl help $cmd' is vmictl(8)'s"
	same_set "vmictl $cmd: 'vmictl help $cmd' and vmictl(8) list the same options" \
		"$( (echo "$syn"; echo "$hopts" | cut -f 1) | options)" \
		"$( (echo "$mrest"; echo "$mopts" | cut -f 1) | options)" empty-ok
	check_defaults "vmictl $cmd" "$hopts" "$mopts"
	hall=$( (echo "$hall"; echo "$syn"; echo "$hopts" | cut -f 1) | options)
	# vmictl takes the command as vmictl(8) shows it (what is not in
	# brackets, each argument "1"), and that with each of its options:
	# no usage error (the target is not a guest, so exit 3 at most)
	req=$(echo "$mrest" | shape | sed -E 's/\[[^]]*\]//g; s/ARG/1/g')
	bad=
	while IFS=$'\t' read -r tag _; do
		opt="" arg=""
		if [ -n "$tag" ]; then
			# an option and its aliases ("-o, --output file"):
			# one given already in the synopsis's part
			for o in $(echo "$tag" | options); do
				echo " $req " | grep -qe " $o " && continue 2
				opt=$o
			done
			echo "$tag" | shape | grep -qE -e "$opt ARG" && arg=1
		fi
		# shellcheck disable=SC2086 # words; no option or argument: none
		VMID_SOCKET=$work/none "$vmictl" --dump "$work/none" "$cmd" \
			$req $opt $arg >/dev/null 2>"$work/err"
		st=$?
		[ "$st" -ne 2 ] ||
			bad="$bad '$cmd $req $opt $arg': $(head -n 1 "$work/err");"
	done < <(echo; [ -z "$mopts" ] || echo "$mopts")
	tap_is "${bad# }" "" "vmictl $cmd: takes what vmictl(8) shows"
done

# The check ids of "vmictl checks" are named in vmictl(8)'s checks entry.
"$vmictl" checks >"$work/checks" 2>&1
ids=$(awk 'NR > 1 { print $1 }' "$work/checks")
mchecks=$(echo "$mcmds" | awk -F'\t' '$2 == 0 && $3 == "checks" { print $4 }')
bad=
for id in $ids; do
	echo " $mchecks " | grep -qE "[ (,]${id}[ ,.;)]" || bad="$bad $id"
done
tap_is "$(echo "$ids" | wc -w) ${bad# }" "$(echo "$ids" | wc -w) " \
	"vmictl: vmictl(8) names every check 'vmictl checks' lists"

same_set "vmictl: the options the parser knows are the ones --help documents" \
	"$(source_options "$top/userspace/vmictl/vmictl.c" vmictl_options)" \
	"$(echo "$hall" | grep -- '^--')"
shorts=$(sed -n 's/.*getopt_long(argc, argv, "\([^"]*\)".*/\1/p' \
	"$top/userspace/vmictl/vmictl.c" | tr -d ':-' | sed 's/./-&\n/g' |
	grep . | LC_ALL=C sort -u)
same_set "vmictl: the short options the parser knows are the ones --help documents" \
	"$shorts" "$(echo "$hall" | grep -v -- '^--')"

# ======================================================================
# vmid
dman=$top/docs/man/vmid.8
"$vmid" --help >"$work/vmid.help" 2>&1 || tap_bail "vmid --help failed"
hvmid=$(help_entries <"$work/vmid.help")
mvmid=$(man_entries "$dman" OPTIONS | cut -f 3,4)
same_set "vmid: the options of --help are vmid(8)'s" \
	"$(echo "$hvmid" | cut -f 1 | options)" \
	"$(echo "$mvmid" | cut -f 1 | options)"
bad=
while IFS=$'\t' read -r tag _; do
	opt=$(echo "$tag" | options | tail -n 1)
	mtag=$(echo "$mvmid" | awk -F'\t' -v o="$opt" '{
		n = split($1, w, /[ ,]+/)
		for (i = 1; i <= n; i++) if (w[i] == o) { print $1; exit }
	}')
	[ "$(echo "$tag" | shape)" = "$(echo "$mtag" | shape)" ] ||
		bad="$bad '$tag'/'$mtag'"
done <<<"$hvmid"
tap_is "${bad# }" "" "vmid: each option takes the same arguments in --help and vmid(8)"
check_defaults "vmid" "$hvmid" "$mvmid"
same_set "vmid: the options the parser knows are the ones --help documents" \
	"$(source_options "$top/userspace/vmid/vmid.c" options)" \
	"$(echo "$hvmid" | cut -f 1 | options | grep -- '^--')"
tap_is "$(man_section "$dman" SYNOPSIS | options |
		LC_ALL=C comm -23 - <(echo "$mvmid" | cut -f 1 | options) |
		tr '\n' ' ')" "" "vmid: vmid(8)'s synopsis names only options it has"

# The configuration keys: the parser's, the example file's, vmid(8)'s.
pkeys=$(grep -oE 'strcmp\(k, "[a-z_]+"\)' "$top/userspace/vmid/vmid.c" |
	sed -E 's/.*"(.*)".*/\1/' | LC_ALL=C sort -u)
ekeys=$(sed -nE 's/^#?([a-z_]+) = .*/\1/p' "$top/userspace/vmid/vmid.conf" |
	LC_ALL=C sort -u)
same_set "vmid: the example vmid.conf shows every key the parser knows" \
	"$pkeys" "$ekeys"
conf=$(man_section "$dman" CONFIGURATION)
bad=
for k in $pkeys; do
	echo "$conf" | grep -qE "(^|[ (])$k([ ,.;)]|\$)" || bad="$bad $k"
done
tap_is "${bad# }" "" "vmid: vmid(8) documents every configuration key"

# ======================================================================
# vmiaas_agent.ko: its module parameters are vmiaas_agent(4)'s
same_set "vmiaas_agent: the module's parameters are vmiaas_agent(4)'s" \
	"$(cat "$top"/guest-agent/*.c |
		sed -nE 's/^module_param(_cb)?\(([a-z_0-9]+),.*/\2/p' |
		LC_ALL=C sort -u)" \
	"$(man_entries "$top/docs/man/vmiaas_agent.4" PARAMETERS |
		cut -f 3 | awk '{ print $1 }' | LC_ALL=C sort -u)"
tap_done
