# What python_harness.py and python_batch_harness.py share, put in front of each by PythonHarness (the
# interpreter runs with -I: there is no module path to import it from). Runs a solution's source, then each
# test on its own in the solution's namespace, so that one failing test does not hide the others, and writes
# one line per test to report_fd tagged with the nonce: the code under test cannot print a valid result line
# without it. Result lines start with a newline so output the code left unterminated cannot merge with them.
import os


def _describe(error):
    try:
        text = type(error).__name__ + ": " + str(error)
    except BaseException:
        text = type(error).__name__
    return " ".join(text.split())[:300]


def _run_tests(source, tests, report_fd, nonce):
    def report(*fields):
        line = "\n" + nonce + " " + " ".join(fields) + "\n"
        try:
            os.write(report_fd, line.encode("utf-8", "replace"))
        except OSError:
            pass

    # Not "__main__": a solution's own `if __name__ == "__main__":` block would wait for input.
    namespace = {"__name__": "solution", "__builtins__": __builtins__}
    try:
        exec(compile(source, "solution.py", "exec"), namespace)
    except BaseException as error:
        reason = "solution failed: " + _describe(error)
        for index in range(len(tests)):
            report(str(index), "FAIL", reason)
        report("DONE")
        return
    for index, test in enumerate(tests):
        try:
            exec(compile(test, "test_%d" % index, "exec"), namespace)
            report(str(index), "PASS")
        except BaseException as error:
            report(str(index), "FAIL", _describe(error))
    report("DONE")
