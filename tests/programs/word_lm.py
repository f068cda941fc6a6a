"""A word-level LSTM language model in the style of PyTorch's word_language_model example: tied
encoder/decoder weights, truncated BPTT with detached hidden state, gradient clipping and the
example's hand-written SGD update (p.data.add_(p.grad, alpha=-lr))."""
import numpy as np

WORDS = ("the cat sat on the mat . the dog sat on the log . a cat saw a dog . the dog saw the cat on the mat .").split()


def build(torch, ntoken, ninp=24, nlayers=1, dropout=0.0):
    nn = torch.nn

    class RNNModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Embedding(ntoken, ninp)
            self.rnn = nn.LSTM(ninp, ninp, nlayers, dropout=dropout)
            self.decoder = nn.Linear(ninp, ntoken)
            self.decoder.weight = self.encoder.weight  # tied weights (nhid == ninp)
            self.nlayers, self.nhid = nlayers, ninp
            initrange = 0.1
            nn.init.uniform_(self.encoder.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            decoded = self.decoder(self.drop(output)).view(-1, ntoken)
            return nn.functional.log_softmax(decoded, dim=1), hidden

        def init_hidden(self, bsz):
            weight = next(self.parameters())
            return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))

    return RNNModel()


def corpus(repeat=6):
    vocab = sorted(set(WORDS))
    ids = np.array([vocab.index(w) for w in WORDS * repeat], np.int64)
    return vocab, ids


def batchify(torch, ids, bsz):
    n = len(ids) // bsz
    return torch.from_numpy(ids[:n * bsz].reshape(bsz, n).T.copy())  # (n, bsz)


def repackage_hidden(h):
    return h.detach() if not isinstance(h, tuple) else tuple(repackage_hidden(v) for v in h)


def train(torch, model, train_data, epochs=8, bptt=8, lr=5.0, clip=0.25):
    criterion = torch.nn.NLLLoss()
    losses = []
    for _ in range(epochs):
        model.train()
        hidden = model.init_hidden(train_data.size(1))
        for i in range(0, train_data.size(0) - 1, bptt):
            seq_len = min(bptt, len(train_data) - 1 - i)
            data, targets = train_data[i:i + seq_len], train_data[i + 1:i + 1 + seq_len].reshape(-1)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            losses.append(loss.item())
    return losses


if __name__ == "__main__":
    import tritorch as torch
    torch.manual_seed(0)
    vocab, ids = corpus()
    model = build(torch, len(vocab))
    print(train(torch, model, batchify(torch, ids, 4)))
