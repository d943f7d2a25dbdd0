# SPDX-License-Identifier: GPL-2.0
# Reads a guest console log framed by tools/guest/runner.sh and prints
# one line per test case: "pass|fail|skip<TAB>binary.case<TAB>note".
# A test that exits non-zero without a failing case, prints fewer results
# than its plan, or never ends counts as a failure; so does a log with no
# "# rig: done" (the guest crashed or timed out).
function finish(rc) {
	if (plan != "" && n < plan) {
		print "fail\t" cur ".plan\tonly " n " of " plan " results"
		bad++
	}
	if (rc != 0 && bad == 0)
		print "fail\t" cur ".exit\texited with status " rc " without a failing case"
	cur = ""
}
# the serial console ends lines with CR LF
{ sub(/\r$/, "") }
/^# rig: begin / { cur = $4; n = 0; plan = ""; bad = 0; lastrun = ""; next }
# the harness names a test on its RUN line; 6.1's omits it on "ok N # SKIP"
cur != "" && /^#  RUN / { lastrun = $3; next }
/^# rig: end / {
	if (cur != "") { rc = $5; sub(/^rc=/, "", rc); finish(rc + 0) }
	next
}
/^# rig: done/ { done = 1; next }
cur != "" && /^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; next }
cur != "" && /^(not )?ok [0-9]+ / {
	line = $0
	st = "pass"
	if (line ~ /^not ok/) { st = "fail"; sub(/^not ok [0-9]+ /, "", line); bad++ }
	else sub(/^ok [0-9]+ /, "", line)
	note = ""
	if (line ~ /^# (SKIP|skip)/)
		line = lastrun " " line
	if (match(line, / # (SKIP|skip)/)) {
		note = substr(line, RSTART + 3)
		sub(/^(SKIP|skip) ?/, "", note)
		line = substr(line, 1, RSTART - 1)
		if (st == "pass") st = "skip"
	}
	n++
	print st "\t" cur "." line "\t" note
	next
}
END {
	if (cur != "")
		print "fail\t" cur ".end\tthe guest stopped inside this test"
	if (!done)
		print "fail\tguest.finished\tno '# rig: done': the guest crashed or timed out"
}
