"""Run directories: `runs/<name>/` by default, never reused silently.

An existing, non-empty directory is left alone and the run goes to `<dir>-1`, `<dir>-2`, ...;
the caller prints the note that says so. (`--resume RUN_DIR` is how a run directory is reused.)
"""
import os


def make_run_dir(path):
    """(the directory created, a note or '' when `path` itself was free)."""
    path = os.path.normpath(path)
    candidate, n = path, 0
    while True:
        try:
            os.makedirs(candidate)  # fails when it exists: two runs never share a directory
            break
        except FileExistsError:
            if os.path.isdir(candidate) and not os.listdir(candidate):
                break
            n += 1
            candidate = f"{path}-{n}"
    note = f"{path} already exists; this run writes to {candidate} (use --resume {path} to continue that run)" \
        if n else ""
    return candidate, note
