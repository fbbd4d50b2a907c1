"""3D encoder-decoder (BatchNorm; fully convolutional, whole-grid inference) with a segmentation head and tumour-attention classification heads.

Design choices (see training/README.md):
- Missing modalities are zero-filled and the availability vector is an explicit input (`modality_mask`). It enters
  the network twice, arithmetically only (no Python branching, so the ONNX graph serves every subset): as constant
  input channels, and as FiLM scale/shift on the bottleneck.
- Classification heads read the tumour, not the head: bottleneck and decoder features are pooled with weights given
  by the predicted tumour probability of each region (NCR / ED / ET, detached), plus the predicted region volume
  fractions. Pooling is a weighted mean, so it gives the same answer on a whole-volume forward or on any tile that
  contains the whole tumour.
- Dropout only in the MLP heads via nn.Dropout (off in eval(); GMMAS's always-on F.dropout3d bug, science.md 5.4).
"""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    # BatchNorm, not InstanceNorm: in eval it is a fixed per-channel affine, so a voxel's output depends only on its
    # receptive field and a whole-grid forward equals patch-wise inference (no per-window statistics).
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm3d(cout, momentum=0.05),
        nn.LeakyReLU(0.01, inplace=True),
    )


class Stage(nn.Sequential):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__(conv_block(cin, cout, stride), conv_block(cout, cout))


class Heads(nn.Module):
    """One small MLP per classification head over the shared pooled descriptor."""

    def __init__(self, in_features: int, heads: Dict[str, int], hidden: int = 64, dropout: float = 0.2):
        super().__init__()
        self.names = list(heads)
        self.mlps = nn.ModuleDict({
            name: nn.Sequential(nn.Linear(in_features, hidden), nn.LeakyReLU(0.01), nn.Dropout(dropout),
                                nn.Linear(hidden, n))
            for name, n in heads.items()
        })

    def forward(self, z: torch.Tensor) -> List[torch.Tensor]:
        return [self.mlps[n](z) for n in self.names]


def weighted_pool(feat: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """feat [N,C,d,h,w], w [N,K,d,h,w] -> [N,K*C]: mean of feat weighted by each of the K weight maps."""
    n, c = feat.shape[0], feat.shape[1]
    k = w.shape[1]
    num = torch.einsum('nkdhw,ncdhw->nkc', w, feat)
    den = w.sum(dim=(2, 3, 4)).unsqueeze(-1) + 1e-3
    return (num / den).reshape(n, k * c)


class SegClsNet(nn.Module):
    """U-Net style encoder-decoder (4 resolution levels) + tumour-attention classification heads.

    Input:  image [N, C_in, D, H, W] (zero where missing), modality_mask [N, C_in] (1 present, 0 missing).
    Output: seg_logits [N, n_seg, D, H, W] and one [N, k] logits tensor per head, in `head_spec` order.
    Spatial dims must be multiples of 8.
    """

    def __init__(self, in_channels: int, n_seg: int, head_spec: Dict[str, int], widths: Sequence[int] = (8, 16, 32, 64),
                 tumour_classes: Sequence[int] = (1, 2, 3)):
        super().__init__()
        w1, w2, w3, w4 = widths
        self.in_channels = in_channels
        self.n_seg = n_seg
        self.tumour_classes = list(tumour_classes)
        self.enc1 = Stage(2 * in_channels, w1, 1)
        self.enc2 = Stage(w1, w2, 2)
        self.enc3 = Stage(w2, w3, 2)
        self.enc4 = Stage(w3, w4, 2)
        self.film = nn.Linear(in_channels, 2 * w4)
        self.up3 = nn.ConvTranspose3d(w4, w3, 2, stride=2)
        self.dec3 = Stage(2 * w3, w3, 1)
        self.up2 = nn.ConvTranspose3d(w3, w2, 2, stride=2)
        self.dec2 = Stage(2 * w2, w2, 1)
        self.up1 = nn.ConvTranspose3d(w2, w1, 2, stride=2)
        self.dec1 = Stage(2 * w1, w1, 1)
        self.seg = nn.Conv3d(w1, n_seg, 1)
        k = len(self.tumour_classes) + 1  # each tumour class + the whole tumour
        desc = k * (w4 + w3) + w4 + k + in_channels
        self.heads = Heads(desc, head_spec)
        self.head_names = list(head_spec)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)

    def forward(self, image: torch.Tensor, modality_mask: torch.Tensor, attention: Optional[torch.Tensor] = None):
        """`attention` (training only): one-hot ground-truth tumour classes [N, n_seg, D, H, W] used instead of the
        predicted probabilities for the head pooling, so the heads learn tumour phenotype before the segmentation is
        good (scheduled with p = 0.5 by train.py). The exported graph always uses the prediction."""
        m5 = modality_mask.view(modality_mask.shape[0], self.in_channels, 1, 1, 1)
        x = image * m5
        x = torch.cat([x, m5.expand_as(x)], dim=1)
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        e4 = self.enc4(e3)
        gb = self.film(modality_mask).unsqueeze(-1).unsqueeze(-1).unsqueeze(-1)
        gamma, beta = torch.chunk(gb, 2, dim=1)
        e4 = e4 * (1 + gamma) + beta
        d3 = self.dec3(torch.cat([self.up3(e4), e3], dim=1))
        d2 = self.dec2(torch.cat([self.up2(d3), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        seg_logits = self.seg(d1)
        # Kept for feature distillation (train.py --distill); not a graph output.
        self.features = {'e4': e4, 'd3': d3}

        # Tumour attention maps from the (detached) predicted probabilities.
        prob = torch.softmax(seg_logits.detach(), dim=1) if attention is None else attention
        regions = [prob[:, c:c + 1] for c in self.tumour_classes]
        tumour = torch.stack(regions, 0).sum(0)
        wmaps = torch.cat(regions + [tumour], dim=1)  # [N, K, D, H, W]
        w3 = F.avg_pool3d(wmaps, 4)
        w4 = F.avg_pool3d(wmaps, 8)
        frac = wmaps.mean(dim=(2, 3, 4))  # region volume fractions of the input extent
        z = torch.cat([
            weighted_pool(e4, w4),
            weighted_pool(d3, w3),
            e4.mean(dim=(2, 3, 4)),
            torch.log(frac * 1000.0 + 1e-3),
            modality_mask,
        ], dim=1)
        return [seg_logits] + self.heads(z)


GLIOMA_HEADS = {'idh': 2, 'codeletion_1p19q': 2, 'grade': 3, 'histology': 3}
METS_HEADS = {'egfr': 2}


def glioma_model(widths=(8, 16, 32, 64)) -> SegClsNet:
    return SegClsNet(4, 4, GLIOMA_HEADS, widths, tumour_classes=(1, 2, 3))


def mets_model(widths=(8, 16, 32, 64)) -> SegClsNet:
    return SegClsNet(2, 2, METS_HEADS, widths, tumour_classes=(1,))
