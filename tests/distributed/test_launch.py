"""`tritorch run -n 2 script.py`: torchrun's variables for each rank, a PyTorch DDP script unchanged,
and one failing rank ending the job instead of leaving the other waiting."""
import os
import subprocess
import sys

import pytest

import tritorch as torch
from tritorch.cli_run import mpi_command
from tritorch.distributed.run import torchrun_environment

from _mpi import HERE, REPO, launcher, worker


def tritorch_run(args, tmp_path):
    launcher()
    env = {**os.environ, "PYTHONPATH": HERE}
    env.pop("TRITON_INTERPRET", None)
    return subprocess.run([sys.executable, "-m", "tritorch", "run", "-n", "2"] + args, cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def test_a_pytorch_ddp_script_runs_unchanged(tmp_path):
    proc = tritorch_run([worker("pytorch_ddp_script.py"), str(tmp_path)], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("world")]
    assert line and line[0].startswith("world 2 accuracy")
    assert float(line[0].split()[-1]) > 0.9
    state = torch.load(str(tmp_path / "model.pt"))  # rank 0's checkpoint, keys of the bare module
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_a_failing_rank_ends_the_job(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text("import tritorch as torch, tritorch.distributed as dist\n"
                      "dist.init_process_group('gloo')\n"
                      "if dist.get_rank() == 1:\n    raise ValueError('rank one fails')\n"
                      "dist.all_reduce(torch.ones(1))\n")
    proc = tritorch_run([str(script)], tmp_path)
    assert proc.returncode != 0
    assert "rank one fails" in proc.stderr


def test_environment_from_each_launcher():
    assert torchrun_environment({"PMI_RANK": "1", "PMI_SIZE": "4", "MPI_LOCALRANKID": "1",
                                 "MPI_LOCALNRANKS": "2"})["LOCAL_WORLD_SIZE"] == "2"
    env = torchrun_environment({"OMPI_COMM_WORLD_RANK": "3", "OMPI_COMM_WORLD_SIZE": "4",
                                "OMPI_COMM_WORLD_LOCAL_RANK": "1"})
    assert (env["RANK"], env["WORLD_SIZE"], env["LOCAL_RANK"]) == ("3", "4", "1")
    alone = torchrun_environment({})
    assert (alone["RANK"], alone["WORLD_SIZE"], alone["LOCAL_RANK"]) == ("0", "1", "0")


def test_command_line():
    cmd = mpi_command(3, "train.py", ["--lr", "1"], launcher="/x/mpiexec")
    assert cmd[:3] == ["/x/mpiexec", "-n", "3"]
    assert cmd[3:] == [sys.executable, "-m", "tritorch.distributed.run", "train.py", "--lr", "1"]


def test_missing_script_is_one_line(tmp_path, capsys):
    from tritorch.cli import main
    assert main(["run", "-n", "2", str(tmp_path / "nope.py")]) == 2
    assert "no such file" in capsys.readouterr().err
