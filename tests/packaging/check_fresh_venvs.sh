#!/usr/bin/env bash
# The wheel as a user installs it: for each interpreter given, a fresh venv with nothing but
# the wheel (and its declared dependencies), an import and a summary of the bundled CDNOW
# sample; with the newest, a user's script that must pass `mypy --strict` against the
# installed wheel and a negative control that mypy must reject.
# Usage: check_fresh_venvs.sh WHEEL PYTHON [PYTHON...]   (the last PYTHON runs mypy)
set -euo pipefail
wheel=$(realpath "$1"); shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for python in "$@"; do
    venv="$work/venv-$(basename "$python")"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q "$wheel"
    # Run outside the source tree so `import clmkit` can only find the installed wheel.
    (cd "$work" && "$venv/bin/python" -c '
import sys, clmkit
log = clmkit.datasets.load_cdnow_sample()
s = clmkit.summarize(log, "customer_id", "date")
assert clmkit.__file__.find("site-packages") > 0, clmkit.__file__
print("wheel OK on Python", sys.version.split()[0], "- clmkit", clmkit.__version__, "-",
      len(s), "customers")
sys.exit(len(s) != 2357)
')
done
echo "--- mypy --strict on a user's script against the installed wheel ($(basename "$python"))"
"$venv/bin/pip" install -q "mypy>=1.10" "pandas-stubs>=2.2"
cp "$here/typed_user.py" "$here/typed_user_wrong.py" "$work/"
(cd "$work" && "$venv/bin/mypy" --strict --no-incremental typed_user.py)
(cd "$work" && "$venv/bin/python" typed_user.py)
if (cd "$work" && "$venv/bin/mypy" --strict --no-incremental typed_user_wrong.py > mypy_wrong.txt); then
    echo "mypy accepted typed_user_wrong.py: the wheel's types do not reach the user" >&2
    exit 1
fi
grep -c 'error: Incompatible types' "$work/mypy_wrong.txt" | grep -qx 2 \
    || { cat "$work/mypy_wrong.txt" >&2; echo "unexpected mypy verdict on the negative control" >&2; exit 1; }
echo "mypy --strict: the user's script passes, the negative control is rejected (2 errors)"
