import torch

import torch.nn as nn

# Hyper-parameters
latent_size = 64
hidden_size = 256
image_size = 784

# Generator 
G = nn.Sequential(
    nn.Linear(latent_size, hidden_size),
    nn.ReLU(),
    nn.Linear(hidden_size, hidden_size),
    nn.ReLU(),
    nn.Linear(hidden_size, image_size),
    nn.Tanh())
