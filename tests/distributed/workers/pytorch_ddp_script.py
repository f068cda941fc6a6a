"""A PyTorch DDP training script, written as PyTorch users write it, with tritorch in torch's place.

torchrun's variables, init_process_group, DistributedSampler, DDP, rank-0 checkpointing.
Run as `tritorch run -n 2 pytorch_ddp_script.py OUT_DIR`.
"""
import os
import sys

import tritorch as torch
import tritorch.distributed as dist
import tritorch.nn as nn
from tritorch.nn.parallel import DistributedDataParallel as DDP
from tritorch.utils.data import DataLoader, TensorDataset
from tritorch.utils.data.distributed import DistributedSampler


def main():
    out_dir = sys.argv[1]
    rank, local_rank, world_size = int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"]), int(os.environ["WORLD_SIZE"])
    device = torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    torch.manual_seed(0)
    x = torch.randn(256, 10)
    y = (x[:, :3].sum(1) > 0).long()
    dataset = TensorDataset(x, y)
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True)
    loader = DataLoader(dataset, batch_size=16, sampler=sampler)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2)).to(device)
    model = DDP(model, device_ids=[local_rank] if device.type == "cuda" else None)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for epoch in range(6):
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = nn.functional.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        accuracy = (model(x.to(device)).argmax(1) == y.to(device)).float().mean()
    dist.all_reduce(accuracy, op=dist.ReduceOp.AVG)
    if rank == 0:
        torch.save(model.module.state_dict(), os.path.join(out_dir, "model.pt"))
        print(f"world {world_size} accuracy {accuracy.item():.4f}")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
