"""Rebuilds a weights-only training checkpoint from an exported package graph, for a model whose original training
checkpoint was not kept (glioma-mtl / brainmets-egfr 0.4.0 were trained before checkpoints were committed).

The restored network computes what the graph computes (nonc.onnx_weights: folded Conv+BatchNorm pairs become the conv
with an identity BatchNorm), so a run continued from it must keep BatchNorm frozen (train --freeze-bn-after 0). It
carries no optimizer or sampler state; train.py then starts those fresh and says so.

    /usr/bin/python3 -m nonc.ckpt_from_onnx --task glioma --onnx ../models/glioma-mtl/model.onnx --iter 3000 \
        --out checkpoints/glioma/last.pt
"""
import argparse
import os

import torch

from .onnx_weights import load_onnx_weights
from .tasks import TASKS


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--task', choices=list(TASKS), required=True)
    ap.add_argument('--onnx', required=True)
    ap.add_argument('--iter', type=int, required=True, help='the iteration the exported weights were trained to')
    ap.add_argument('--widths', default='8,16,32,64')
    ap.add_argument('--tiling', default='whole', help="the package manifest's tiling mode (evaluation runs it the same way)")
    ap.add_argument('--out', required=True)
    ap.add_argument('--train-args', default='', help='the nonc.train arguments the graph was trained with (model card)')
    ap.add_argument('--sigma', default='', help='JSON of the learned uncertainty-weighting sigmas at the end (model card)')
    args = ap.parse_args()
    widths = tuple(int(w) for w in args.widths.split(','))
    net = TASKS[args.task].build(widths)
    n = load_onnx_weights(net, args.onnx)
    os.makedirs(os.path.dirname(args.out) or '.', exist_ok=True)
    import json
    import shlex
    from .train import build_parser
    train_args = vars(build_parser().parse_args(shlex.split(args.train_args))) if args.train_args else {}
    train_args['tiling'] = args.tiling
    history = [{'sigma': json.loads(args.sigma)}] if args.sigma else []
    torch.save({'model': net.state_dict(), 'iter': args.iter, 'best': -1.0, 'history': history, 'widths': widths,
                'task': args.task, 'patch': (48, 48, 48), 'args': train_args,
                'source': f'rebuilt from {os.path.basename(args.onnx)}'},
               args.out)
    print(f'{args.out}: {n} tensors from {args.onnx}, iteration {args.iter}')


if __name__ == '__main__':
    main()
