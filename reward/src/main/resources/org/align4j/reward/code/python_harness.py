# align4j unit-test harness (generated run directory, sandboxed), after python_test_loop.py: runs solution.py,
# then each test of tests.json on its own, reporting one line per test tagged with a nonce read from stdin.
import json
import sys


def _align4j_run():
    nonce = sys.stdin.readline().strip()
    sys.stdin = open(os.devnull)
    report_fd = os.dup(1)
    with open("tests.json", encoding="utf-8") as f:
        tests = json.load(f)
    with open("solution.py", encoding="utf-8") as f:
        source = f.read()
    _run_tests(source, tests, report_fd, nonce)


_align4j_run()
# Leave at once: threads or atexit handlers the solution left behind must not hold the run open.
os._exit(0)
