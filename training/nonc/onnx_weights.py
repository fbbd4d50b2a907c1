"""Load the weights of an exported SegClsNet ONNX graph back into the PyTorch network (fine-tuning start point).

The eval-mode export folds each Conv3d + BatchNorm3d pair into one Conv with a bias (initializers named
onnx::Conv_*, in graph order); every other parameter keeps its PyTorch name under 'net.'. A folded pair is restored
exactly as conv weight W' with an identity BatchNorm (mean 0, var 1 - eps, gamma 1, beta b'): in eval mode, or with
BatchNorm frozen (train --freeze-bn-after 0), the network computes what the ONNX graph computes.
"""
from typing import List

import numpy as np
import onnx
import torch
from onnx import numpy_helper


def load_onnx_weights(net: torch.nn.Module, path: str) -> int:
    model = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    loaded = 0
    with torch.no_grad():
        params = dict(net.named_parameters())
        for name, arr in inits.items():
            if name.startswith('net.') and name[4:] in params:
                p = params[name[4:]]
                if tuple(p.shape) != arr.shape:
                    raise ValueError(f'{name}: shape {arr.shape} in ONNX, {tuple(p.shape)} in the network')
                p.copy_(torch.from_numpy(arr.copy()))
                loaded += 1
        # Folded Conv+BN pairs in the order the Conv nodes use them.
        folded: List[tuple] = []
        for node in model.graph.node:
            if node.op_type == 'Conv' and len(node.input) == 3 and node.input[1].startswith('onnx::'):
                folded.append((inits[node.input[1]], inits[node.input[2]]))
        blocks = [m for m in net.modules() if isinstance(m, torch.nn.Sequential) and len(m) == 3
                  and isinstance(m[0], torch.nn.Conv3d) and isinstance(m[1], torch.nn.BatchNorm3d)]
        if len(blocks) != len(folded):
            raise ValueError(f'{len(folded)} folded convolutions in ONNX, {len(blocks)} conv blocks in the network')
        for block, (w, b) in zip(blocks, folded):
            conv, bn = block[0], block[1]
            if tuple(conv.weight.shape) != w.shape:
                raise ValueError(f'folded conv shape {w.shape} vs network {tuple(conv.weight.shape)}')
            conv.weight.copy_(torch.from_numpy(w.copy()))
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
            bn.weight.fill_(1.0)
            bn.bias.copy_(torch.from_numpy(b.copy()))
            loaded += 2
    # Every parameter must come from the graph: a renamed module would otherwise load partially, silently.
    folded = tuple(f'{n}.' for n in block_names(net, blocks))
    missing = [n for n in params if f'net.{n}' not in inits and not n.startswith(folded)]
    if missing:
        raise ValueError(f'{len(missing)} parameters of the network are not in {path}: {missing[:5]}')
    return loaded


def block_names(net: torch.nn.Module, blocks) -> List[str]:
    ids = {id(b) for b in blocks}
    return [n for n, m in net.named_modules() if id(m) in ids]
