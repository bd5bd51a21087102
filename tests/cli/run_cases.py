#!/usr/bin/env python3
"""Runs the real `broker` executable on every case in a folder and checks the offline-tool
contract (CONTRACTS.md §4): exit status, stdout JSON, and the one-line stderr of exit 2.

A case file is JSON: {"tool": "place", "args": [...], "stdin": <JSON> | "stdin_text": "...",
"exit": 0|1|2, "stdout": <JSON compared exactly>, "stdout_subset": <JSON every part of which
must appear in stdout>, "error_reason": "Unschedulable", "stderr_contains": "..."}. Prints one line per case and "N passed, N failed" at the end.
"""
import json
import pathlib
import subprocess
import sys


def is_subset(want, got):
    """True when every key/element of `want` appears in `got` (lists: same length, pairwise)."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and is_subset(v, got[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(got, list) and len(want) == len(got) and all(
            is_subset(w, g) for w, g in zip(want, got))
    return want == got


def run_case(broker, path):
    case = json.loads(path.read_text())
    stdin = case["stdin_text"] if "stdin_text" in case else json.dumps(case["stdin"])
    args = [a.replace("@CASES@", str(path.parent)) for a in case.get("args", [])]
    proc = subprocess.run([broker, case["tool"], *args], input=stdin.encode(),
                          capture_output=True, timeout=60)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    problems = []
    if proc.returncode != case["exit"]:
        problems.append(f"exit {proc.returncode}, want {case['exit']} (stderr: {err.strip()[:300]})")
    if proc.returncode == 2:
        if out:
            problems.append(f"exit 2 must print nothing on stdout, got {out[:200]!r}")
        if err.count("\n") != 1 or not err.endswith("\n"):
            problems.append(f"exit 2 must print exactly one line on stderr, got {err!r}")
        if "stderr_contains" in case and case["stderr_contains"] not in err:
            problems.append(f"stderr {err.strip()!r} lacks {case['stderr_contains']!r}")
    if proc.returncode in (0, 1):
        try:
            got = json.loads(out)
        except ValueError:
            problems.append(f"stdout is not JSON: {out[:200]!r}")
            got = None
        if got is not None and "stdout" in case and got != case["stdout"]:
            problems.append(f"stdout {json.dumps(got)}\n      want {json.dumps(case['stdout'])}")
        if got is not None and "stdout_subset" in case and not is_subset(case["stdout_subset"], got):
            problems.append(f"stdout {json.dumps(got)[:2000]}\n      lacks {json.dumps(case['stdout_subset'])}")
        if got is not None and proc.returncode == 1:
            error = got.get("error", {}) if isinstance(got, dict) else {}
            for key in ("reason", "message", "causes"):
                if key not in error:
                    problems.append(f"exit 1 stdout lacks error.{key}")
            if "error_reason" in case and error.get("reason") != case["error_reason"]:
                problems.append(f"error.reason {error.get('reason')!r}, want {case['error_reason']!r}")
    return problems


def main():
    broker, folder = sys.argv[1], pathlib.Path(sys.argv[2])
    passed = failed = 0
    for path in sorted(folder.rglob("*.json")):
        if path.parent.name == "data":
            continue
        try:
            problems = run_case(broker, path)
        except Exception as e:  # a crash of the runner is a failed case, reported, not hidden
            problems = [f"runner error: {e}"]
        name = path.relative_to(folder)
        if problems:
            failed += 1
            print(f"FAIL {name}")
            for p in problems:
                print(f"    {p}")
        else:
            passed += 1
            print(f"ok   {name}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
