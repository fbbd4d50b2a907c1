"""Train one reference model on the synthetic training-set export.

    /usr/bin/python3 -m nonc.train --task glioma --data DIR --out training/runs/glioma --iters 3000

Checkpoints (`last.pt` every --ckpt-every iterations, `best.pt` on the best validation score) make an
interrupted run resumable: rerunning the same command continues from `last.pt`.
"""
import argparse
import copy
import json
import math
import os
import random
import time
from typing import Dict, List, Sequence

import numpy as np
import torch

from .data import Case, PatchSampler, SamplerConfig, split_cases
from .export_format import load_training_set
from .infer import run_inference
from .losses import UncertaintyWeighting, class_ce, class_weights, distillation_loss, seg_loss
from .metrics import region_dice
from .tasks import TASKS, Task


def set_train_mode(model, freeze_bn: bool) -> None:
    """train() for everything; with freeze_bn the BatchNorm layers stay in eval mode (running statistics, not
    updated), so training computes exactly what inference computes. Batch statistics depend on which sequences the
    batch's patches happen to miss; frozen statistics make the network itself robust to every modality subset."""
    model.train()
    if freeze_bn:
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.eval()


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_cases(task: Task, root: str) -> List[Case]:
    cases = load_training_set(root, task.classes)
    keep = []
    for c in cases:
        kind = str(c.meta.get('classes', {}).get('tumor', c.meta.get('classes', {}).get('tumour', 'none'))).lower()
        if kind in task.tumour_kinds:
            c.channel_index = task.channel_index()
            c.label_lut = task.label_lut
            keep.append(c)
    return keep


def load_validation(task: Task, run: str, train_data: List[str], val_data: List[str]) -> List[Case]:
    """The validation cases of a run: the separate --val-data exports it was trained with, or else the validation
    split (split.json) drawn from its training exports."""
    if val_data:
        return [c for d in val_data for c in load_cases(task, d)]
    with open(os.path.join(run, 'split.json')) as f:
        val_ids = set(json.load(f)['val'])
    return [c for d in train_data for c in load_cases(task, d.partition(':')[0]) if c.case_id in val_ids]


@torch.no_grad()
def validate(model, task: Task, cases: List[Case], patch, tiling: str = 'whole',
             subsets: Sequence[str] = ('full',)) -> Dict[str, float]:
    """Mean Dice per region and head accuracy over the cases and the given input subsets (averaged together)."""
    model.eval()
    dices = {k: [] for k in task.regions}
    correct = {h: [] for h in task.classes}
    for c, roles in ((c, task.eval_subsets[s]) for s in subsets for c in cases):
        m = task.role_mask(roles) * c.avail
        probs, heads, _ = run_inference(model, c.full_image() * m[:, None, None, None], m, patch, tiling)
        pred = probs.argmax(0)
        gt = c.full_labels()
        if (gt > 0).any():
            for k, v in region_dice(pred, gt, task.regions).items():
                dices[k].append(v)
        for h, z in zip(task.classes, heads):
            t = c.targets[h]
            if t >= 0:
                correct[h].append(float(np.argmax(z) == t))
    model.train()
    out = {f'dice_{k}': float(np.mean(v)) if v else float('nan') for k, v in dices.items()}
    out.update({f'acc_{h}': float(np.mean(v)) if v else float('nan') for h, v in correct.items()})
    vals = [v for v in out.values() if not math.isnan(v)]
    out['score'] = float(np.mean(vals)) if vals else 0.0
    return out


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser()
    ap.add_argument('--task', choices=list(TASKS), required=True)
    ap.add_argument('--data', required=True, action='append',
                    help='training-set export folder, optionally DIR:WEIGHT (sampling weight per case, default 1); repeatable')
    ap.add_argument('--out', required=True)
    ap.add_argument('--iters', type=int, default=3000)
    ap.add_argument('--batch', type=int, default=2)
    ap.add_argument('--patch', type=int, default=48, help='training patch edge (voxels)')
    ap.add_argument('--tiling', choices=['whole', 'sliding-window'], default='whole',
                    help='how the node runs the model (written to the manifest; used for validation)')
    ap.add_argument('--widths', default='8,16,32,64')
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--p-gt-attention', type=float, default=0.5,
                    help='probability that a batch pools the heads over the ground-truth tumour instead of the prediction')
    ap.add_argument('--val-data', action='append', default=[],
                    help='separate validation export(s) (other seeds); without it a split of --data is used')
    ap.add_argument('--region-weights', default='', help='soft-Dice weight per evaluated region, e.g. 1,1.5,2 (WT,TC,ET)')
    ap.add_argument('--p-tumour', type=float, default=-1, help='tumour-centred patch probability (default: the task\'s)')
    ap.add_argument('--p-bright', type=float, default=0.0,
                    help='probability of a hard-negative patch centred on a bright tumour-free T1ce voxel')
    ap.add_argument('--val-fraction', type=float, default=0.15)
    ap.add_argument('--val-max', type=int, default=10, help='validation cases scored during training')
    ap.add_argument('--eval-every', type=int, default=250)
    ap.add_argument('--ckpt-every', type=int, default=50)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--max-minutes', type=float, default=0, help='stop (resumably) after this wall time')
    ap.add_argument('--init-onnx', default='',
                    help='start from the weights of an exported model of the same network (e.g. ../models/glioma-mtl/model.onnx)')
    ap.add_argument('--distill', choices=['none', 'ema'], default='none',
                    help='ema: knowledge self-distillation from an EMA teacher fed every available sequence')
    ap.add_argument('--kd-weight', type=float, default=1.0, help='weight of the output distillation terms')
    ap.add_argument('--feat-weight', type=float, default=0.5, help='weight of the feature distillation term')
    ap.add_argument('--kd-temp', type=float, default=2.0)
    ap.add_argument('--ema-decay', type=float, default=0.995)
    ap.add_argument('--p-full', type=float, default=-1, help='probability of a full-input patch (default: the task\'s)')
    ap.add_argument('--val-subsets', default='full',
                    help='comma-separated input subsets (tasks.py eval_subsets) averaged into the validation score')
    ap.add_argument('--init-checkpoint', default='',
                    help='start from the network weights of another run\'s checkpoint (e.g. runs/glioma/last.pt)')
    ap.add_argument('--freeze-bn-after', type=int, default=-1,
                    help='from this iteration on, BatchNorm uses (and keeps) its running statistics (-1 = never)')
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)

    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    task = TASKS[args.task]
    widths = tuple(int(w) for w in args.widths.split(','))
    patch = (args.patch,) * 3
    os.makedirs(args.out, exist_ok=True)

    cases = []
    for spec in args.data:
        path, _, weight = spec.partition(':')
        for c in load_cases(task, path):
            c.meta['sampling_weight'] = float(weight or 1)
            cases.append(c)
    if args.val_data:
        train_cases = cases
        val_cases = [c for d in args.val_data for c in load_cases(task, d)]
        random.Random(args.seed).shuffle(val_cases)  # exports are not grouped by kind, but keep val_max a fair sample
    else:
        train_cases, val_cases = split_cases(cases, args.val_fraction, args.seed)
    with open(os.path.join(args.out, 'split.json'), 'w') as f:
        json.dump({'train': [c.case_id for c in train_cases], 'val': [c.case_id for c in val_cases]}, f, indent=1)
    print(f'{task.name}: {len(train_cases)} train / {len(val_cases)} validation cases', flush=True)

    model = task.build(widths)
    if args.init_onnx and not os.path.exists(os.path.join(args.out, 'last.pt')):
        from .onnx_weights import load_onnx_weights
        print(f'initialised from {args.init_onnx}: {load_onnx_weights(model, args.init_onnx)} tensors', flush=True)
    if args.init_checkpoint and not os.path.exists(os.path.join(args.out, 'last.pt')):
        model.load_state_dict(torch.load(args.init_checkpoint)['model'])
        print(f'initialised from {args.init_checkpoint}', flush=True)
    uw = UncertaintyWeighting(['seg'] + list(task.classes))
    params = list(model.parameters()) + list(uw.parameters())
    opt = torch.optim.AdamW([{'params': model.parameters(), 'weight_decay': 1e-4},
                             {'params': uw.parameters(), 'weight_decay': 0.0}], lr=args.lr)
    cw = {h: class_weights([c.targets[h] for c in train_cases], len(n)) for h, n in task.classes.items()}
    cfg = SamplerConfig(patch=patch, p_tumour=task.p_tumour if args.p_tumour < 0 else args.p_tumour,
                        p_bright=args.p_bright, bright_channel=task.roles.index('t1ce'),
                        favoured_subsets=task.favoured_subsets, class_heads=tuple(task.classes),
                        p_full_modalities=task.p_full if args.p_full < 0 else args.p_full)
    region_w = [float(x) for x in args.region_weights.split(',')] if args.region_weights else None
    sampler = PatchSampler(train_cases, cfg, seed=args.seed)

    start_it, best, history = 0, -1.0, []
    last = os.path.join(args.out, 'last.pt')
    teacher = None
    if args.distill == 'ema':
        teacher = copy.deepcopy(model)
        teacher.eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
    if os.path.exists(last):
        ck = torch.load(last)
        model.load_state_dict(ck['model'])
        if teacher is not None:
            teacher.load_state_dict(ck.get('teacher', ck['model']))
        if 'opt' in ck:
            uw.load_state_dict(ck['uw'])
            opt.load_state_dict(ck['opt'])
            sampler.rng.setstate(ck['sampler_rng'])
            torch.set_rng_state(ck['torch_rng'])
        else:  # a checkpoint rebuilt from an exported graph (nonc.ckpt_from_onnx): weights only
            print('checkpoint has no optimizer state: optimizer and sampler start fresh', flush=True)
        start_it, best, history = ck['iter'], ck['best'], ck['history']
        print(f'resumed at iteration {start_it}', flush=True)

    def lr_at(it):
        warm = 50
        if it < warm:
            return args.lr * (it + 1) / warm
        return args.lr * 0.5 * (1 + math.cos(math.pi * (it - warm) / max(1, args.iters - warm)))

    def save(path, it):
        torch.save({'model': model.state_dict(), 'uw': uw.state_dict(), 'opt': opt.state_dict(),
                    'sampler_rng': sampler.rng.getstate(), 'torch_rng': torch.get_rng_state(), 'iter': it,
                    'best': best, 'history': history, 'widths': widths, 'task': args.task,
                    'patch': patch, 'args': vars(args),
                    **({'teacher': teacher.state_dict()} if teacher is not None else {})}, path + '.tmp')
        os.replace(path + '.tmp', path)

    t0 = time.time()
    run_loss: Dict[str, float] = {}
    seg_w = torch.tensor(task.seg_ce_weight) if task.seg_ce_weight else None
    for it in range(start_it, args.iters):
        set_train_mode(model, 0 <= args.freeze_bn_after <= it)
        for g in opt.param_groups:
            g['lr'] = lr_at(it)
        if teacher is not None:
            img, mask, lab, tg, full_img, full_mask = sampler.batch(args.batch, with_full=True)
        else:
            img, mask, lab, tg = sampler.batch(args.batch)
        attn = None
        if sampler.rng.random() < args.p_gt_attention:
            attn = torch.nn.functional.one_hot(lab, task.n_seg).permute(0, 4, 1, 2, 3).float()
        outs = model(img, mask, attn)
        losses = {'seg': seg_loss(outs[0], lab, list(task.regions.values()), seg_w, region_w)}
        for h, logits in zip(task.classes, outs[1:]):
            l = class_ce(logits, tg[h], cw[h])
            if l is not None:
                losses[h] = l
        loss = uw(losses)
        if teacher is not None:
            s_feats = dict(model.features)
            with torch.no_grad():
                t_outs = teacher(full_img, full_mask, attn)
                t_feats = dict(teacher.features)
            kd = distillation_loss(outs, t_outs, s_feats, t_feats, [t >= 0 for t in tg.values()], args.kd_temp)
            loss = loss + args.kd_weight * (kd['kd_seg'] + kd.get('kd_heads', 0.0)) + args.feat_weight * kd['kd_feat']
            losses.update(kd)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 12.0)
        opt.step()
        if teacher is not None:
            with torch.no_grad():
                for tp, sp in zip(teacher.parameters(), model.parameters()):
                    tp.mul_(args.ema_decay).add_(sp.detach(), alpha=1 - args.ema_decay)
        for k, v in losses.items():
            run_loss[k] = 0.95 * run_loss.get(k, float(v)) + 0.05 * float(v)
        done = it + 1
        if done % 25 == 0:
            el = time.time() - t0
            sig = ' '.join(f'{k}={v:.2f}' for k, v in uw.sigmas().items())
            ls = ' '.join(f'{k}={v:.3f}' for k, v in run_loss.items())
            print(f'it {done} {el / max(1, done - start_it):.2f}s/it loss {ls} | sigma {sig}', flush=True)
        if done % args.eval_every == 0 or done == args.iters:
            v = validate(model, task, val_cases[:args.val_max], patch, args.tiling, args.val_subsets.split(','))
            v['iter'] = done
            v['sigma'] = uw.sigmas()
            history.append(v)
            print('val', json.dumps(v), flush=True)
            if v['score'] > best:
                best = v['score']
                save(os.path.join(args.out, 'best.pt'), done)
        if done % args.ckpt_every == 0 or done == args.iters:
            save(last, done)
        if args.max_minutes and (time.time() - t0) > args.max_minutes * 60:
            save(last, done)
            print(f'stopping after {args.max_minutes} min at iteration {done} (resumable)', flush=True)
            return 2
    with open(os.path.join(args.out, 'history.json'), 'w') as f:
        json.dump(history, f, indent=1)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
