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


class RunDirInUse(RuntimeError):
    """Another live process holds the run directory's lock."""


LOCK_FILE = ".lock"


def lock_run_dir(run_dir):
    """Take the run directory's exclusive lock (``RUN_DIR/.lock``, flock, non-blocking) and return its
    file descriptor: held until it is closed or the process ends (a SIGKILL releases it too). Two
    `--resume` of one run, or a resume of a run still training, would interleave their checkpoints
    and metrics: the second gets RunDirInUse naming the holder's PID. No-op (None) without fcntl."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        return None
    path = os.path.join(run_dir, LOCK_FILE)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
        os.close(fd)
        raise RunDirInUse(f"run directory {run_dir} is in use by process {holder}") from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def unlock_run_dir(fd):
    if fd is not None:
        os.close(fd)  # closing the last descriptor releases the flock


def named(error, path):
    """`error` (an OSError) with `path` as its filename when it has none (a failed write or fsync
    reports only "No space left on device"), so the one-line message can name the file."""
    if isinstance(error, OSError) and error.filename is None and error.errno is not None:
        return OSError(error.errno, error.strerror or os.strerror(error.errno), path)
    return error
