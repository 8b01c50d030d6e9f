"""Transformer models for real-export tests: ViT-B/16, a BERT-base-shaped encoder, a GPT-style decoder.

Built from ``nn.TransformerEncoderLayer`` (which holds ``nn.MultiheadAttention``), as torchvision's
ViT and common BERT/GPT re-implementations are.
"""

from __future__ import annotations

import torch
from torch import nn


def _encoder(d: int, heads: int, layers: int, norm_first: bool) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.1, activation="gelu", batch_first=True,
                                       norm_first=norm_first)
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


class ViT(nn.Module):
    """ViT-B/16 at full size: 16x16 patches, d=768, 12 heads, 12 layers, class token."""

    def __init__(self, image: int = 224, patch: int = 16, d: int = 768, heads: int = 12, layers: int = 12,
                 num_classes: int = 1000) -> None:
        super().__init__()
        self.conv_proj = nn.Conv2d(3, d, patch, patch)
        tokens = (image // patch) ** 2 + 1
        self.class_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embedding = nn.Parameter(torch.empty(1, tokens, d).normal_(std=0.02))  # as torchvision
        self.encoder = _encoder(d, heads, layers, norm_first=True)
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embedding
        return self.head(self.ln(self.encoder(x))[:, 0])


class TextEncoder(nn.Module):
    """BERT-base-shaped encoder: word/position/type embeddings, post-norm layers, pooler."""

    def __init__(self, vocab: int = 30522, d: int = 768, heads: int = 12, layers: int = 12,
                 context: int = 512) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, d)
        self.position_embeddings = nn.Embedding(context, d)
        self.token_type_embeddings = nn.Embedding(2, d)
        self.norm = nn.LayerNorm(d)
        self.encoder = _encoder(d, heads, layers, norm_first=False)
        self.pooler = nn.Linear(d, d)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions)
        x = self.norm(x + self.token_type_embeddings(torch.zeros_like(input_ids)))
        x = self.encoder(x, src_key_padding_mask=attention_mask == 0)
        return torch.tanh(self.pooler(x[:, 0]))


class GPTDecoder(nn.Module):
    """GPT-style decoder: causal pre-norm layers, learned positions, tied output head."""

    def __init__(self, vocab: int = 50257, d: int = 768, heads: int = 12, layers: int = 12,
                 context: int = 1024) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(context, d)
        self.blocks = _encoder(d, heads, layers, norm_first=True)
        self.ln_f = nn.LayerNorm(d)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        length = input_ids.shape[1]
        positions = torch.arange(length, device=input_ids.device).unsqueeze(0)
        mask = torch.triu(torch.full((length, length), float("-inf")), diagonal=1)
        x = self.blocks(self.wte(input_ids) + self.wpe(positions), mask=mask)
        return self.ln_f(x) @ self.wte.weight.t()
