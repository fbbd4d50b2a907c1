"""Operating-point selection for a segmentation head on the validation split: shifts the foreground logits by -b
(b chosen to maximise mean Dice of the tumour regions on validation cases, full input) and writes a new checkpoint.
Used for the metastasis model, whose errors are false positives in bright extracranial tissue.

    /usr/bin/python3 -m nonc.tune_bias --task mets --run runs/mets-v3 --checkpoint v030.pt --out v031.pt \
        --train-data data/node/mets-train --train-data data/node/mets-train2
"""
import argparse
import json
import os

import numpy as np
import torch

from .evaluate import load_net
from .infer import whole_grid
from .metrics import region_dice
from .tasks import TASKS
from .train import load_validation


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('--task', choices=list(TASKS), required=True)
    ap.add_argument('--run', required=True)
    ap.add_argument('--checkpoint', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--train-data', action='append', default=[])
    ap.add_argument('--val-data', action='append', default=[])
    ap.add_argument('--biases', default='0,0.5,1,1.5,2,2.5,3,4')
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    task = TASKS[a.task]
    net, ck = load_net(task, a.run, a.checkpoint)
    cases = load_validation(task, a.run, a.train_data, a.val_data)
    logits = []
    with torch.no_grad():
        for c in cases:
            img = c.full_image()
            pad = [(-s) % 8 for s in img.shape[1:]]
            x = np.pad(img, [(0, 0)] + [(0, p) for p in pad])
            out = net(torch.from_numpy(x[None]), torch.from_numpy(c.avail[None]))[0][0].numpy()
            logits.append((out[:, :img.shape[1], :img.shape[2], :img.shape[3]], c.full_labels()))
    scores = {}
    for b in [float(x) for x in a.biases.split(',')]:
        d = []
        for z, gt in logits:
            z = z.copy()
            z[1:] -= b
            if (gt > 0).any():
                d.append(np.mean(list(region_dice(z.argmax(0), gt, task.regions).values())))
        scores[b] = float(np.mean(d))
    best = max(scores, key=scores.get)
    print(json.dumps({'validation_cases': len(cases), 'mean_dice_by_bias': scores, 'chosen': best}))
    net.seg.bias.data[1:] -= best
    ck['model'] = net.state_dict()
    ck['seg_bias_shift'] = best
    ck['seg_bias_scores'] = scores
    torch.save(ck, os.path.join(a.run, a.out))


if __name__ == '__main__':
    main()
