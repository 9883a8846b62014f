# align4j batch unit-test harness (generated run directory, sandboxed; after python_test_loop.py). Scores many completions in one
# sandbox and one interpreter start: jobs.json holds [[code, [test, ...]], ...]. Each job runs in a
# forked child of its own: a new session, its own rlimits (CPU seconds, file size), a fresh private
# directory, stdin from /dev/null and stdout/stderr into a pipe only this parent reads (bounded). The
# child reports its tests over that pipe with a nonce of its own; the parent alone writes to the
# sandbox's output: "<nonce> <job> <index> PASS|FAIL why", "<nonce> <job> END completed|timeout|output|crashed" and, after
# the last job, "<nonce> ALL", the nonce read from stdin. After each job the child's session, and in a pid namespace every process but this one and
# its ancestors, is killed, so nothing a job started outlives it. The parent is made non-dumpable, so
# its children cannot read its memory or its descriptors through /proc.
import ctypes
import json
import os
import resource
import select
import shutil
import signal
import sys
import tempfile
import time


def _nondumpable():
    try:
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except Exception:
        pass


def _child(code, tests, child_nonce, write_fd, cpu_seconds, work):
    # In the child: everything but the pipe is closed; the code runs in the namespace the harness made.
    try:
        os.setsid()
        os.chdir(work)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(write_fd, 1)
        os.dup2(write_fd, 2)
        os.closerange(3, 65536)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        sys.stdin = open(os.devnull)
        sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="replace")
        sys.stderr = sys.stdout
        report_fd = os.dup(1)
        _run_tests(code, tests, report_fd, child_nonce)
    finally:
        os._exit(0)


def _ancestors():
    keep = {os.getpid()}
    pid = os.getpid()
    while pid > 1:
        try:
            with open("/proc/%d/status" % pid) as f:
                ppid = next(int(l.split()[1]) for l in f if l.startswith("PPid:"))
        except Exception:
            break
        keep.add(ppid)
        pid = ppid
    return keep


def _kill_all_but(keep):
    # Only inside a pid namespace: what /proc lists there is the sandbox's own processes.
    for _ in range(200):
        others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in keep]
        if not others:
            return
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for _ in others:
            try:
                os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
        time.sleep(0.002)


def _run_job(code, tests, timeout, cpu_seconds, max_output, sweep, keep):
    child_nonce = os.urandom(16).hex()
    work = tempfile.mkdtemp(prefix="job-")
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(code, tests, child_nonce, write_fd, cpu_seconds, work)
    os.close(write_fd)
    chunks = []
    size = 0
    status = "ok"
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            status = "timeout"
            break
        ready, _, _ = select.select([read_fd], [], [], left)
        if not ready:
            continue
        data = os.read(read_fd, 65536)
        if not data:
            break
        size += len(data)
        if size > max_output:
            status = "output"
            break
        chunks.append(data)
    os.close(read_fd)
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    if sweep:
        _kill_all_but(keep)
    shutil.rmtree(work, ignore_errors=True)
    text = b"".join(chunks).decode("utf-8", "replace")
    results = {}
    done = False
    for line in text.splitlines():
        fields = line.split(" ", 3)
        if len(fields) < 2 or fields[0] != child_nonce:
            continue
        if fields[1] == "DONE":
            done = True
        elif len(fields) >= 3 and fields[1].isdigit() and fields[2] in ("PASS", "FAIL"):
            index = int(fields[1])
            if 0 <= index < len(tests) and index not in results:
                results[index] = (fields[2], fields[3] if len(fields) > 3 else "")
    return results, done, status


def _main():
    nonce = sys.stdin.readline().strip()
    sys.stdin = open(os.devnull)
    timeout = float(sys.argv[1])
    max_output = int(sys.argv[2])
    sweep = sys.argv[3] == "sweep"
    cpu_seconds = max(1, int(timeout + 1))
    _nondumpable()
    keep = _ancestors()
    with open("jobs.json", encoding="utf-8") as f:
        jobs = json.load(f)
    out = os.dup(1)

    def emit(*fields):
        line = "\n" + nonce + " " + " ".join(fields) + "\n"
        os.write(out, line.encode("utf-8", "replace"))

    for number, (code, tests) in enumerate(jobs):
        results, done, status = _run_job(code, tests, timeout, cpu_seconds, max_output, sweep, keep)
        for index in range(len(tests)):
            if index in results:
                verdict, why = results[index]
                emit(str(number), str(index), verdict, " ".join(why.split())[:300])
            else:
                emit(str(number), str(index), "FAIL",
                     {"timeout": "not run: timeout", "output": "not run: output limit exceeded"}.get(status,
                                                                                                   "not run: crashed"))
        emit(str(number), "END", "completed" if done and status == "ok" else
             {"timeout": "timeout", "output": "output"}.get(status, "crashed"))
    emit("ALL")


_main()
os._exit(0)
