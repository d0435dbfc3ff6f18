"""pycheck.py: the checks of the Python tests (load_python.py,
python_package.py): check() compares and reports a mismatch, finish()
prints "N passed, N failed" and exits 1 on a failure."""
import sys

passed = failed = 0


def check(name, got, expected):
    global passed, failed
    if got == expected:
        passed += 1
    else:
        failed += 1
        print(f"! {name} expected: {expected!r}")
        print(f"! {name} got:      {got!r}")


def finish():
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
