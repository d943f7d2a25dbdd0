#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# apt-private.sh [APT-GET ARGS...]
#
# Runs apt-get (or, as "apt-private.sh cache ARGS", apt-cache) on a private
# state directory under the cache.  Its sources are derived from the
# system's configured Debian sources at run time, with the arm64
# architecture, the backports suite and deb-src added, so the system's apt
# configuration is never changed and no archive host name lives in the repo.
#
# APT_RELEASE=CODENAME: the same for another Debian release (trixie for
# the 7.x kernels of trixie-backports), served by the system's mirrors, in
# a state of its own ($CACHE/apt-CODENAME): mixed into the system
# release's, "the newest 6.12.x" would resolve to trixie's instead of
# bookworm-backports' build.
. "$(dirname "$0")/../lib.sh"

syscodename=$(. /etc/os-release && echo "$VERSION_CODENAME")
[ -n "$syscodename" ] || die "cannot tell the Debian codename from /etc/os-release"
codename=${APT_RELEASE:-$syscodename}
if [ "$codename" = "$syscodename" ]; then
	APTDIR=$CACHE/apt
else
	APTDIR=$CACHE/apt-$codename
fi

# Print "URI SUITE SIGNED-BY" for every enabled 'deb' source of the system.
system_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+([^[:space:]]+).*/\2 \3 -/p' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && enabled != "no")
				for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++)
					print uris[i], suites[j], (key == "" ? "-" : key)
			types = ""; enabled = ""; key = ""; nu = 0; ns = 0
		}
		/^[[:space:]]*#/ { next }
		/^[[:space:]]*$/ { flush(); next }
		{
			k = tolower($1); sub(/:$/, "", k)
			if (k == "types") { $1 = ""; types = $0 }
			else if (k == "enabled") enabled = tolower($2)
			else if (k == "signed-by") key = $2
			else if (k == "uris") nu = split(substr($0, index($0, $2)), uris, " ")
			else if (k == "suites") ns = split(substr($0, index($0, $2)), suites, " ")
		}
		END { flush() }' "$f"
	done
}

setup() {
	local main sec mainkey seckey
	# the mirrors that serve the system's release serve the others too
	main=$(system_sources | awk -v s="$syscodename" '$2 == s { print $1, $3; exit }')
	sec=$(system_sources | awk -v s="$syscodename-security" '$2 == s { print $1, $3; exit }')
	[ -n "$main" ] || die "no '$syscodename' suite in the system's apt sources"
	mainkey=${main#* }; main=${main%% *}
	mkdir -p "$APTDIR"/{lists/partial,archives/partial,sources.list.d}
	: >"$APTDIR/status"
	: >"$APTDIR/sources.list"
	{
		echo "Types: deb deb-src"
		echo "URIs: $main"
		echo "Suites: $codename $codename-updates $codename-backports"
		echo "Components: main"
		echo "Architectures: amd64 arm64"
		[ "$mainkey" = - ] || echo "Signed-By: $mainkey"
		if [ -n "$sec" ]; then
			seckey=${sec#* }; sec=${sec%% *}
			echo
			echo "Types: deb deb-src"
			echo "URIs: $sec"
			echo "Suites: $codename-security"
			echo "Components: main"
			echo "Architectures: amd64 arm64"
			[ "$seckey" = - ] || echo "Signed-By: $seckey"
		fi
	} >"$APTDIR/sources.list.d/private.sources"
}

APT_OPTS=(
	-o "Dir::State=$APTDIR"
	-o "Dir::State::Lists=$APTDIR/lists"
	-o "Dir::State::status=$APTDIR/status"
	-o "Dir::Cache=$APTDIR"
	-o "Dir::Cache::archives=$APTDIR/archives"
	-o "Dir::Etc::sourcelist=$APTDIR/sources.list"
	-o "Dir::Etc::sourceparts=$APTDIR/sources.list.d"
	-o "APT::Architectures::=amd64"
	-o "APT::Architectures::=arm64"
	-o "Debug::NoLocking=1"
	-o "APT::Sandbox::User=root"
)

# Refresh the lists when missing or older than a day.
ensure_lists() {
	local stamp=$APTDIR/updated
	if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
		setup
		apt-get "${APT_OPTS[@]}" -qq update >&2 || die "private apt update failed"
		touch "$stamp"
	fi
}

ensure_lists
# The look-ups (apt-cache policy, show, showsrc, madison) answer the same
# until the lists are refreshed, and each one parses them all again (1-2 s
# with three suites): remember each answer beside the lists, forgotten at
# the next refresh.  Every make asks the same dozen questions.
memo_cache() {
	local dir=$APTDIR/memo key
	key=$(printf '%s\n' "$@" | sha256sum | cut -c1-32)
	if [ "$dir/$key" -nt "$APTDIR/updated" ] && [ -f "$dir/$key.rc" ]; then
		cat "$dir/$key"
		return "$(cat "$dir/$key.rc")"
	fi
	mkdir -p "$dir"
	local rc=0
	apt-cache "${APT_OPTS[@]}" "$@" >"$dir/$key.$$" || rc=$?
	cat "$dir/$key.$$"
	echo "$rc" >"$dir/$key.rc.$$"
	mv "$dir/$key.rc.$$" "$dir/$key.rc"
	mv "$dir/$key.$$" "$dir/$key"
	return "$rc"
}
if [ "${1:-}" = cache ]; then
	shift
	case "${1:-}" in
	policy | show | showsrc | madison) memo_cache "$@"; exit ;;
	esac
	exec apt-cache "${APT_OPTS[@]}" "$@"
fi
exec apt-get "${APT_OPTS[@]}" "$@"
