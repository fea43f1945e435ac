# Sourced by setup.sh, sanitize.sh and fuzz.sh: compile through ccache when it is installed, with
# its cache outside the clone, so a CI machine that keeps $HOME rebuilds only what changed.
# New build directories pick the launcher up at their first configure (CMake reads these
# variables then); FASTEST_CCACHE=0 turns it off.
if [ "${FASTEST_CCACHE:-1}" != 0 ] && command -v ccache >/dev/null 2>&1; then
  export CCACHE_DIR="${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fastest-ccache}"
  export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-3G}"
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
