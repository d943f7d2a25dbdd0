# SPDX-License-Identifier: GPL-2.0
# host-tap.sh: TAP for the host-side checks (sourced by dkms-check.sh,
# run-check.sh, net-check.sh, gdb-check.sh and distro-check.sh;
# tools/check/check.sh folds their output
# into its own).
#   ok NAME; not_ok NAME [DIAG...]; finish: the plan, "N passed, N failed",
#   and false if any case failed; check NAME CMD...: ok if CMD succeeds;
#   has FILE PATTERN: PATTERN is in FILE (binary-safe: console logs)
n=0 passed=0 failed=0
ok() { n=$((n + 1)) passed=$((passed + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	local l
	for l in "$@"; do echo "# $l"; done
}
finish() {
	echo "1..$n"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}
has() { grep -aq -- "$2" "$1"; }
