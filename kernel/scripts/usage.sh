# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# usage_from_header FILE: print the leading comment block of the script
# FILE as its --help: from the line after the #! line up to the first line
# that is not a comment, without the SPDX and shellcheck lines and without
# the leading '# '. Sourced by kernel/scripts/lib.sh and by the scripts
# that do not source it; the header is the one place the usage is written.
usage_from_header() {
	awk 'NR == 1 && /^#!/ { next }
	     !/^#/ { exit }
	     /SPDX-License-Identifier|^# shellcheck / { next }
	     { sub(/^# ?/, ""); print }' "$1"
}
