"""Held-out evaluation for the model card: Dice per region and AUC / accuracy / ECE per head, for each modality
subset, on held-out synthetic studies; temperatures fitted per head on the validation split (NLL).

    /usr/bin/python3 -m nonc.evaluate --task glioma --run runs/glioma --val-data DIR \
        --test seen-vendors=DIR --test unseen-vendor=DIR --out runs/glioma/eval.json
"""
import argparse
import json
import os
import random
import time
from typing import Dict, List

import numpy as np
import torch

from .data import Case
from .infer import run_inference
from .postprocess import node_labels
from .metrics import (auc_binary, auc_macro_ovr, ece, fit_temperature, indeterminate, lesion_detection, region_dice,
                      reliability, softmax)
from .tasks import TASKS, Task
from .train import load_cases, load_validation


def load_net(task: Task, run: str, which: str = 'best.pt'):
    ck = torch.load(os.path.join(run, which))
    net = task.build(tuple(ck['widths']))
    net.load_state_dict(ck['model'])
    net.eval()
    return net, ck


@torch.no_grad()
def predict(net, task: Task, cases: List[Case], roles, patch, tiling: str = 'whole') -> Dict:
    """Per case: Dice per region (tumour cases), predicted tumour volume (mL), head logits, targets."""
    m = task.role_mask(roles)
    rows = []
    for c in cases:
        mask = m * c.avail
        img = c.full_image() * mask[:, None, None, None]
        probs, heads, _ = run_inference(net, img, mask, patch, tiling)
        pred = probs.argmax(0)
        gt = c.full_labels()
        row = {'id': c.case_id, 'tumour': bool((gt > 0).any()), 'pred_ml': float((pred > 0).sum() * 8 / 1000),
               'gt_ml': float((gt > 0).sum() * 8 / 1000), 'logits': {h: z.tolist() for h, z in zip(task.classes, heads)},
               'targets': dict(c.targets)}
        if row['tumour']:
            row['dice'] = region_dice(pred, gt, task.regions)
            # What the node delivers with its default post-processing (hierarchical decoding, components < 0.1 mL).
            row['dice_node'] = region_dice(node_labels(probs, task.n_seg == 4), gt, task.regions)
        # Lesion-wise detection on what the node delivers (tumour-free cases count their false positives too).
        row['lesions'] = lesion_detection(node_labels(probs, task.n_seg == 4), gt)
        rows.append(row)
    return {'roles': list(roles), 'cases': rows}


def summarise(task: Task, pred: Dict, temps: Dict[str, float]) -> Dict:
    rows = pred['cases']
    out: Dict = {'n_cases': len(rows), 'n_tumour': sum(r['tumour'] for r in rows)}
    for k in task.regions:
        v = [r['dice'][k] for r in rows if r['tumour']]
        out[f'dice_{k}'] = float(np.mean(v)) if v else float('nan')
        out[f'dice_{k}_median'] = float(np.median(v)) if v else float('nan')
        vn = [r['dice_node'][k] for r in rows if r['tumour'] and 'dice_node' in r]
        out[f'node_dice_{k}'] = float(np.mean(vn)) if vn else float('nan')
    les = [r['lesions'] for r in rows if 'lesions' in r]
    if les:
        n_les = sum(x['lesions'] for x in les)
        out['lesion_sensitivity'] = sum(x['detected'] for x in les) / n_les if n_les else float('nan')
        out['lesions_total'] = n_les
        out['false_positive_lesions_per_case'] = float(np.mean([x['false_positive_components'] for x in les]))
    healthy = [r['pred_ml'] for r in rows if not r['tumour']]
    out['healthy_false_positive_ml'] = float(np.mean(healthy)) if healthy else float('nan')
    for h, names in task.classes.items():
        sel = [r for r in rows if r['targets'][h] >= 0]
        if not sel:
            continue
        z = np.array([r['logits'][h] for r in sel])
        y = np.array([r['targets'][h] for r in sel])
        p = softmax(z, temps.get(h, 1.0))
        res = {'n': len(sel), 'accuracy': float((p.argmax(1) == y).mean()), 'ece': ece(p, y),
               'auc': auc_binary(p[:, 1], y) if len(names) == 2 else auc_macro_ovr(p, y),
               'class_counts': np.bincount(y, minlength=len(names)).tolist(),
               'indeterminate_share': float(indeterminate(p).mean()), 'reliability': reliability(p, y)}
        if h == 'histology':
            ao = np.isin(y, [names.index('astrocytoma'), names.index('oligodendroglioma')])
            if ao.any():
                res['astro_vs_oligo_accuracy'] = float((p[ao].argmax(1) == y[ao]).mean())
                res['astro_vs_oligo_n'] = int(ao.sum())
        out[h] = res
    # Share of tumour cases with at least one indeterminate head (what a reader sees as "indeterminate").
    tum = [r for r in rows if r['tumour']]
    if tum and task.classes:
        flags = np.zeros(len(tum), bool)
        for h in task.classes:
            z = np.array([r['logits'][h] for r in tum])
            flags |= indeterminate(softmax(z, temps.get(h, 1.0)))
        out['any_head_indeterminate_share'] = float(flags.mean())
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('--task', choices=list(TASKS), required=True)
    ap.add_argument('--run', required=True)
    ap.add_argument('--train-data', default=[], action='append',
                    help='export(s) the run was trained on (the validation split is read from them)')
    ap.add_argument('--val-data', default=[], action='append', help='the separate validation export(s) of the run')
    ap.add_argument('--test', action='append', default=[], help='NAME=DIR held-out export')
    ap.add_argument('--subsets', default='', help='comma list of subset names to evaluate (default: all)')
    ap.add_argument('--full-only', default='', help='comma list of test names evaluated on the full input only')
    ap.add_argument('--val-subsets', default='full', help='subsets pooled for temperature fitting')
    ap.add_argument('--val-max', type=int, default=0, help='use at most this many validation cases (0 = all)')
    ap.add_argument('--test-max', type=int, default=0, help='use at most this many cases per test set (0 = all)')
    ap.add_argument('--out', required=True)
    ap.add_argument('--checkpoint', default='last.pt', help='last.pt (the annealed final weights) or best.pt')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--temperature-prior-sd', type=float, default=0.0,
                    help='normal prior on log T (MAP temperature fit); 0 = plain validation NLL')
    ap.add_argument('--reuse-test-predictions', action='store_true',
                    help='take the test-set predictions from the previous <out>.raw.json of the same checkpoint (sets whose '
                         'case list changed are predicted again) '
                         '(recalibration without re-running inference)')
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    task = TASKS[args.task]
    net, ck = load_net(task, args.run, args.checkpoint)
    patch = tuple(ck['patch'])
    tiling = ck.get('args', {}).get('tiling', 'sliding-window')
    t0 = time.time()

    val_cases = load_validation(task, args.run, args.train_data, args.val_data)
    if args.val_max:  # a seeded sample across tumour kinds (cases are stored grouped by kind)
        random.Random(0).shuffle(val_cases)
        val_cases = val_cases[:args.val_max]
    temps: Dict[str, float] = {}
    pooled = {h: ([], []) for h in task.classes}
    val_summary = {}
    for name in args.val_subsets.split(','):
        pr = predict(net, task, val_cases, task.eval_subsets[name], patch, tiling)
        val_summary[name] = pr
        for r in pr['cases']:
            for h in task.classes:
                if r['targets'][h] >= 0:
                    pooled[h][0].append(r['logits'][h])
                    pooled[h][1].append(r['targets'][h])
    for h, (z, y) in pooled.items():
        temps[h] = fit_temperature(np.array(z), np.array(y), args.temperature_prior_sd) if len(y) >= 4 else 1.0
    result = {'task': task.name, 'iteration': ck['iter'], 'checkpoint': args.checkpoint, 'tiling': tiling, 'widths': list(ck['widths']), 'patch': list(patch),
              'temperatures': temps, 'temperature_prior_sd': args.temperature_prior_sd, 'sigma': {}, 'validation': {}, 'test': {}}
    hist = ck.get('history') or []
    if hist:
        result['sigma'] = hist[-1].get('sigma', {})
    for name, pr in val_summary.items():
        result['validation'][name] = {'uncalibrated': summarise(task, pr, {}), 'calibrated': summarise(task, pr, temps)}
    wanted = [s for s in args.subsets.split(',') if s] or list(task.eval_subsets)
    full_only = set(s for s in args.full_only.split(',') if s)
    raw_path = args.out.replace('.json', '.raw.json')
    previous = {}
    if args.reuse_test_predictions:
        prev_eval = json.load(open(args.out))
        if prev_eval.get('iteration') != ck['iter']:
            raise SystemExit(f'{args.out} is from iteration {prev_eval.get("iteration")}, the checkpoint is at {ck["iter"]}: '
                             'evaluate again without --reuse-test-predictions')
        previous = json.load(open(raw_path))
    raw = {}
    for spec in args.test:
        tname, tdir = spec.split('=', 1)
        cases = load_cases(task, tdir)
        if args.test_max:
            random.Random(0).shuffle(cases)
            cases = cases[:args.test_max]
        result['test'][tname] = {'vendors': sorted(set(c.meta.get('vendor', '?') for c in cases)),
                                 'seeds': [min(c.meta.get('seed', 0) for c in cases), max(c.meta.get('seed', 0) for c in cases)],
                                 'subsets': {}}
        for sname in (['full'] if tname in full_only else wanted):
            key = f'{tname}/{sname}'
            same_cases = key in previous and [r['id'] for r in previous[key]['cases']] == [c.case_id for c in cases]
            pr = previous[key] if same_cases else predict(net, task, cases, task.eval_subsets[sname], patch, tiling)
            raw[key] = pr
            s = summarise(task, pr, temps)
            s['uncalibrated_ece'] = {h: summarise(task, pr, {})[h]['ece'] for h in task.classes if h in s}
            result['test'][tname]['subsets'][sname] = s
            print(tname, sname, json.dumps({k: v for k, v in s.items() if k.startswith('dice') and 'median' not in k}),
                  {h: round(s[h]['auc'], 3) for h in task.classes if h in s}, f'{time.time() - t0:.0f}s', flush=True)
    result['eval_seconds'] = time.time() - t0
    with open(args.out, 'w') as f:
        json.dump(result, f, indent=1)
    with open(raw_path, 'w') as f:
        json.dump(raw, f)


if __name__ == '__main__':
    main()
