# align4j unit-test harness (generated run directory, sandboxed). Runs solution.py, then each test of
# tests.json on its own, so that one failing test does not hide the others, and reports one line per
# test tagged with a nonce read from stdin: the code under test cannot print a valid result line
# without it. Result lines start with a newline so output the code left unterminated cannot merge
# with them.
import json
import os
import sys


def _align4j_run():
    nonce = sys.stdin.readline().strip()
    sys.stdin = open(os.devnull)
    report_fd = os.dup(1)

    def report(*fields):
        line = "\n" + nonce + " " + " ".join(fields) + "\n"
        try:
            os.write(report_fd, line.encode("utf-8", "replace"))
        except OSError:
            pass

    def describe(error):
        try:
            text = type(error).__name__ + ": " + str(error)
        except BaseException:
            text = type(error).__name__
        return " ".join(text.split())[:300]

    with open("tests.json", encoding="utf-8") as f:
        tests = json.load(f)
    with open("solution.py", encoding="utf-8") as f:
        source = f.read()
    # Not "__main__": a solution's own `if __name__ == "__main__":` block would wait for input.
    namespace = {"__name__": "solution", "__builtins__": __builtins__}
    try:
        exec(compile(source, "solution.py", "exec"), namespace)
    except BaseException as error:
        reason = "solution failed: " + describe(error)
        for index in range(len(tests)):
            report(str(index), "FAIL", reason)
        report("DONE")
        return
    for index, test in enumerate(tests):
        try:
            exec(compile(test, "test_%d" % index, "exec"), namespace)
            report(str(index), "PASS")
        except BaseException as error:
            report(str(index), "FAIL", describe(error))
    report("DONE")


_align4j_run()
# Leave at once: threads or atexit handlers the solution left behind must not hold the run open.
os._exit(0)
