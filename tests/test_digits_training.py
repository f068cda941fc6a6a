"""The loop every PyTorch user writes, end to end on CPU: DataLoader + nn + optim + lr_scheduler.

An MLP on the embedded Digits data reaches >= 95% accuracy on the held-out split in a few
seconds. A failure here means one of the pieces (collate, shuffling, a layer's gradient, the
optimizer's update, the scheduler) is wrong, even if its unit tests pass.
"""
import tritorch as torch
from tritorch import nn, optim
from tritorch.datasets import Digits
from tritorch.utils.data import DataLoader


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for inputs, labels in loader:
            correct += (model(inputs).argmax(dim=1) == labels).sum().item()
            total += labels.numel()
    model.train()
    return correct / total


def test_digits_mlp_reaches_95_percent():
    torch.manual_seed(0)
    train_loader = DataLoader(Digits(train=True), batch_size=32, shuffle=True)
    test_loader = DataLoader(Digits(train=False), batch_size=128)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    before = evaluate(model, test_loader)

    losses = []
    for epoch in range(8):
        total = 0.0
        for inputs, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(inputs), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * labels.numel()
        losses.append(total / len(train_loader.dataset))
        scheduler.step()

    accuracy = evaluate(model, test_loader)
    assert before < 0.3, before  # an untrained model is near chance: the test set is not trivially easy
    assert losses[-1] < 0.25 * losses[0], losses
    assert scheduler.get_last_lr() == [0.05 * 0.5 ** 2]  # 8 epochs: two halvings
    assert accuracy >= 0.95, f"held-out accuracy {accuracy:.3f} after losses {losses}"
