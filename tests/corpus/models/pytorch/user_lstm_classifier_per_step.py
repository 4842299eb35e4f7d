import torch
from torch import nn


class LSTMClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim, num_classes):
        super(LSTMClassifier, self).__init__()
        self.embedding = nn.Embedding(vocab_size + 1, embed_dim)  # +1 for padding
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True)
        self.fc = nn.Linear(hidden_dim, num_classes)

    def forward(self, x):
        embedded = self.embedding(x)
        lstm_out, (_, _) = self.lstm(embedded)
        out = self.fc(lstm_out)
        return out

model = LSTMClassifier(vocab_size=5000, embed_dim=100, hidden_dim=128, num_classes=5)
