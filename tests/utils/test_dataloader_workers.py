"""DataLoader with worker processes.

Each scenario runs in a fresh interpreter under subprocess.run(timeout=...): a hang (a worker
never joined, a queue never drained) fails the test instead of blocking the suite. Every scenario
ends by checking that no child process is left.
"""
import subprocess
import sys
import textwrap

HEADER = '''
import multiprocessing, os, time
import tritorch
from tritorch.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info

class Pids(Dataset):
    """Sample i -> (i, pid of the process that fetched it); worker 0 is slow, so results arrive out of order."""
    def __init__(self, n, fail_at=None, exc=ValueError):
        self.n, self.fail_at, self.exc = n, fail_at, exc
    def __len__(self):
        return self.n
    def __getitem__(self, i):
        if i == self.fail_at:
            raise self.exc(f"bad sample {i}")
        info = get_worker_info()
        if info is not None and info.id == 0:
            time.sleep(0.005)
        return i, os.getpid()

class Shards(IterableDataset):
    def __init__(self, n):
        self.n = n
    def __iter__(self):
        info = get_worker_info()
        r = range(self.n)
        return iter(r if info is None else r[info.id::info.num_workers])

def no_children(pids=()):
    assert multiprocessing.active_children() == [], multiprocessing.active_children()
    assert not any(os.path.exists(f"/proc/{p}") for p in pids), pids
'''


def run(tmp_path, body, timeout=600):  # a guard against a hang only
    script = tmp_path / "scenario.py"
    script.write_text(HEADER + "\nif __name__ == '__main__':\n" + textwrap.indent(textwrap.dedent(body), "    ")
                      + "\n    print('SCENARIO-OK')\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=timeout,
                          cwd=tmp_path)
    assert proc.returncode == 0 and "SCENARIO-OK" in proc.stdout, proc.stdout + proc.stderr


def test_order_kept_and_work_done_in_workers(tmp_path):
    run(tmp_path, '''
        loader = DataLoader(Pids(23), batch_size=3, num_workers=2, prefetch_factor=3)
        batches = list(loader)
        assert len(batches) == len(loader) == 8
        idx = [int(i) for b in batches for i in b[0]]
        assert idx == list(range(23)), idx
        pids = {int(p) for b in batches for p in b[1]}
        assert len(pids) == 2 and os.getpid() not in pids, pids
        no_children(pids)
        ''')


def test_worker_exception_carries_traceback_and_stops_workers(tmp_path):
    run(tmp_path, '''
        loader = DataLoader(Pids(20, fail_at=7), batch_size=2, num_workers=2)
        seen = []
        try:
            for x, pid in loader:
                seen += x.tolist()
        except ValueError as e:
            msg = str(e)
        else:
            raise AssertionError("no exception")
        assert seen == [0, 1, 2, 3, 4, 5], seen  # batches before the failing one arrive, in order
        assert "Caught ValueError in DataLoader worker process 1." in msg, msg
        assert "Traceback (most recent call last)" in msg and "__getitem__" in msg and "bad sample 7" in msg
        no_children()
        try:
            list(DataLoader(Pids(4, fail_at=2, exc=KeyError), batch_size=None, num_workers=2))
        except KeyError as e:
            assert "Caught KeyError in DataLoader worker process 0." in str(e), str(e)
        no_children()
        ''')


def test_break_and_close_leave_no_process(tmp_path):
    run(tmp_path, '''
        for x, pid in DataLoader(Pids(40), batch_size=2, num_workers=2):
            break
        no_children()
        it = iter(DataLoader(Pids(40), batch_size=2, num_workers=2))
        next(it)
        it.close()
        no_children()
        ''')


def test_worker_init_fn_info_and_seeds(tmp_path):
    run(tmp_path, '''
        class Draws(Dataset):
            def __len__(self):
                return 4
            def __getitem__(self, i):
                info = get_worker_info()
                return info.id, info.num_workers, info.seed, float(tritorch.rand(()).item()), os.environ["WID"]

        def init(worker_id):
            os.environ["WID"] = f"w{worker_id}"

        def run_once(gen):
            return list(DataLoader(Draws(), batch_size=None, num_workers=2, worker_init_fn=init, generator=gen))

        a = run_once(tritorch.Generator().manual_seed(1))
        b = run_once(tritorch.Generator().manual_seed(1))
        assert a == b, (a, b)
        assert [r[0] for r in a] == [0, 1, 0, 1] and {r[1] for r in a} == {2}
        assert [r[4] for r in a] == ["w0", "w1", "w0", "w1"]
        assert a[1][2] == a[0][2] + 1  # seed = base_seed + worker_id
        assert a[0][3] != a[1][3]  # each worker has its own random stream
        c = run_once(tritorch.Generator().manual_seed(2))
        assert c[0][2] != a[0][2]
        no_children()
        ''')


def test_iterable_dataset_sharded_over_workers(tmp_path):
    run(tmp_path, '''
        out = [b.tolist() for b in DataLoader(Shards(10), batch_size=3, num_workers=2)]
        assert out == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]], out
        out = [int(v) for v in DataLoader(Shards(5), batch_size=None, num_workers=2)]
        assert out == [0, 1, 2, 3, 4], out
        out = [b.tolist() for b in DataLoader(Shards(10), batch_size=3, num_workers=2, drop_last=True)]
        assert out == [[0, 2, 4], [1, 3, 5]], out
        no_children()
        ''')


def test_persistent_workers_reused_across_epochs(tmp_path):
    run(tmp_path, '''
        loader = DataLoader(Pids(10), batch_size=2, num_workers=2, persistent_workers=True)
        for x, p in loader:
            first_pids = set(p.tolist())
            break  # leaves results of the abandoned epoch in flight
        epoch = list(loader)
        assert [int(i) for x, p in epoch for i in x] == list(range(10))
        pids = {int(v) for x, p in epoch for v in p}
        assert len(pids) == 2 and first_pids <= pids
        again = list(loader)
        assert {int(v) for x, p in again for v in p} == pids and len(again) == 5
        assert len(multiprocessing.active_children()) == 2
        del loader, x, p
        no_children(pids)
        ''')


def test_timeout_and_dead_worker_raise(tmp_path):
    run(tmp_path, '''
        from tritorch.utils.data import _worker

        class Slow(Dataset):
            def __len__(self):
                return 2
            def __getitem__(self, i):
                time.sleep(0.5)
                return i

        class Dies(Dataset):
            def __len__(self):
                return 2
            def __getitem__(self, i):
                os._exit(3)

        try:
            list(DataLoader(Slow(), num_workers=1, timeout=0.05))
        except RuntimeError as e:
            assert "DataLoader timed out after 0.05 seconds" in str(e), str(e)
        else:
            raise AssertionError("no timeout")
        no_children()
        _worker.MP_STATUS_CHECK_INTERVAL = 0.2  # the main process polls its workers this often
        try:
            list(DataLoader(Dies(), num_workers=1))
        except RuntimeError as e:
            assert "exited unexpectedly" in str(e), str(e)
        else:
            raise AssertionError("a dead worker went unnoticed")
        no_children()
        ''')


def test_spawn_context(tmp_path):
    run(tmp_path, '''
        loader = DataLoader(Pids(6), batch_size=2, num_workers=2, multiprocessing_context="spawn")
        assert [int(i) for x, p in loader for i in x] == list(range(6))
        no_children()
        ''')
