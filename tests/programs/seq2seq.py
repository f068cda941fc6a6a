"""A seq2seq GRU that learns to reverse variable-length token sequences: packed sequences in the
encoder (pack_padded_sequence with enforce_sorted=False), teacher forcing in the decoder."""
import numpy as np

PAD, SOS, VOCAB = 0, 1, 8


def build(torch, hidden=32):
    nn = torch.nn

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, hidden, padding_idx=PAD)
            self.gru = nn.GRU(hidden, hidden, batch_first=True)

        def forward(self, src, lengths):
            packed = nn.utils.rnn.pack_padded_sequence(self.embedding(src), lengths, batch_first=True,
                                                       enforce_sorted=False)
            outputs, hidden = self.gru(packed)
            outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs, batch_first=True)
            return outputs, hidden

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, hidden)
            self.gru = nn.GRU(hidden, hidden, batch_first=True)
            self.out = nn.Linear(hidden, VOCAB)

        def forward(self, token, hidden):  # token (B, 1)
            output, hidden = self.gru(torch.relu(self.embedding(token)), hidden)
            return self.out(output.squeeze(1)), hidden

    return Encoder(), Decoder()


def data(steps, batch=12, max_len=6, seed=0):
    """Per step: source tokens (B, max_len) padded with PAD, lengths, reversed targets, and the
    teacher-forcing coin flips (drawn here so both libraries see the same ones)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        lengths = rng.integers(2, max_len + 1, batch)
        lengths[0] = max_len  # every step has a target somewhere (an all-PAD step has no mean)
        src = np.zeros((batch, max_len), np.int64)
        tgt = np.zeros((batch, max_len), np.int64)
        for b, n in enumerate(lengths):
            seq = rng.integers(2, VOCAB, n)
            src[b, :n], tgt[b, :n] = seq, seq[::-1]
        out.append((src, lengths, tgt, rng.random(max_len) < 0.5))
    return out


def train(torch, encoder, decoder, batches, lr=1e-2):
    params = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(params, lr=lr)
    criterion = torch.nn.CrossEntropyLoss(ignore_index=PAD)
    losses = []
    for src, lengths, tgt, teacher in batches:
        src, tgt = torch.from_numpy(src), torch.from_numpy(tgt)
        optimizer.zero_grad()
        _, hidden = encoder(src, torch.tensor(lengths))
        token = torch.full((src.size(0), 1), SOS, dtype=torch.long)
        loss = 0
        for t in range(tgt.size(1)):
            logits, hidden = decoder(token, hidden)
            loss = loss + criterion(logits, tgt[:, t])
            token = tgt[:, t:t + 1] if teacher[t] else logits.argmax(-1, keepdim=True).detach()
        loss = loss / tgt.size(1)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        losses.append(loss.item())
    return losses


if __name__ == "__main__":
    import tritorch as torch
    torch.manual_seed(0)
    print(train(torch, *build(torch), data(30)))
