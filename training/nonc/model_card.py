"""MODEL_CARD.md from the evaluation JSON (evaluate.py) and the export report."""
import datetime
import math
from typing import Dict

from .tasks import Task

TARGETS = {'dice_WT': 0.90, 'dice_TC': 0.85, 'dice_ET': 0.80, 'idh': 0.90, 'codeletion_1p19q': 0.90}


def f(x, nd=3) -> str:
    return '–' if x is None or (isinstance(x, float) and math.isnan(x)) else f'{x:.{nd}f}'


def dice_table(task: Task, test: Dict) -> str:
    regions = list(task.regions)
    lines = ['| test set | vendor(s) | inputs | n tumour | ' + ' | '.join(f'Dice {r}' for r in regions) +
             ' | healthy FP (mL) |', '|' + '---|' * (5 + len(regions))]
    for tname, t in test.items():
        for sname, s in t['subsets'].items():
            lines.append(f"| {tname} | {', '.join(t['vendors'])} | {sname} | {s['n_tumour']} | " +
                         ' | '.join(f(s[f'dice_{r}']) for r in regions) + f" | {f(s['healthy_false_positive_ml'], 1)} |")
    return '\n'.join(lines)


def node_dice_table(task: Task, test: Dict) -> str:
    """The same cases after the node's default post-processing (what a PACS receives)."""
    regions = list(task.regions)
    lines = ['| test set | inputs | ' + ' | '.join(f'Dice {r}' for r in regions) + ' |', '|' + '---|' * (2 + len(regions))]
    for tname, t in test.items():
        for sname, s in t['subsets'].items():
            if f'node_dice_{regions[0]}' in s:
                lines.append(f'| {tname} | {sname} | ' + ' | '.join(f(s[f"node_dice_{r}"]) for r in regions) + ' |')
    return '\n'.join(lines) if len(lines) > 2 else ''


def head_table(task: Task, test: Dict) -> str:
    heads = list(task.classes)
    lines = ['| test set | inputs | ' + ' | '.join(f'{h} AUC / acc / ECE' for h in heads) + ' |',
             '|' + '---|' * (2 + len(heads))]
    for tname, t in test.items():
        for sname, s in t['subsets'].items():
            cells = []
            for h in heads:
                r = s.get(h)
                cells.append('–' if not r else f"{f(r['auc'])} / {f(r['accuracy'])} / {f(r['ece'])}")
            lines.append(f'| {tname} | {sname} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def missing_drop(task: Task, test: Dict) -> str:
    if 'WT' not in task.regions and 'GTV' not in task.regions:
        return ''
    key = 'WT' if 'WT' in task.regions else 'GTV'
    out = []
    for tname, t in test.items():
        subs = t['subsets']
        if 'full' not in subs or len(subs) < 2:
            continue
        base = subs['full'][f'dice_{key}']
        for sname, s in subs.items():
            if sname != 'full':
                out.append(f"| {tname} | {sname} | {f(s[f'dice_{key}'] - base)} |")
    if not out:
        return ''
    return f'| test set | inputs | Δ Dice {key} vs full |\n|---|---|---|\n' + '\n'.join(out)


def targets_section(task: Task, test: Dict) -> str:
    if task.n_seg != 4:
        return ('Issue 5 sets no numeric target for this model. For orientation only (real data, not comparable): '
                'the EGFR/GTV reference paper (J Transl Med 2023) reports Dice 0.89 / 0.85 and EGFR accuracy '
                '0.88 / 0.81 on its internal / external test sets.')
    lines = []
    for tname, t in test.items():
        s = t['subsets'].get('full')
        if not s:
            continue
        for k, thr in TARGETS.items():
            v = s[k] if k.startswith('dice') else (s.get(k) or {}).get('auc')
            if v is None:
                continue
            ok = v >= thr
            lines.append(f"| {tname} | {k.replace('dice_', 'Dice ')}{' AUC' if not k.startswith('dice') else ''} | "
                         f"≥ {thr:.2f} | {f(v)} | {'met' if ok else '**missed**'} |")
        for sname in ('no FLAIR', 'no T1ce'):
            if sname in t['subsets']:
                d = t['subsets'][sname]['dice_WT'] - s['dice_WT']
                lines.append(f"| {tname} | Dice WT drop, {sname} | ≤ 0.05 | {f(-d)} | {'met' if -d <= 0.05 else '**missed**'} |")
    return '| test set | metric | target | reached | |\n|---|---|---|---|---|\n' + '\n'.join(lines)


def inference_text(manifest: Dict) -> str:
    t = manifest['tiling']
    if t['mode'] == 'whole':
        return ('one forward over the whole 96 × 112 × 96 grid (tiling "whole"); the classification heads pool over '
                'the predicted tumour anywhere in the grid.')
    return (f"sliding window {t['patchSize']} (overlap {t['overlap']}, {t['blending']} blending); head logits are "
            'combined over windows by tumour-weighted mean.')


def reporting_rule(manifest: Dict) -> str:
    sets = manifest['missingModalities'].get('segmentationRequires')
    if not sets:
        return ''
    from .package import SEG_REPORT_MAX_HEALTHY_FP_ML, SEG_REPORT_MIN_DICE
    names = {'t1': 'T1', 't1ce': 'T1ce', 't2': 'T2', 'flair': 'FLAIR'}
    alts = ' or '.join('+'.join(names.get(r, r) for r in s) for s in sets)
    return (f"- **Segmentation reported only with {alts}** (manifest `missingModalities.segmentationRequires`): with "
            f"other inputs the held-out segmentation missed the reporting floor (first region Dice ≥ {SEG_REPORT_MIN_DICE} "
            f"and ≤ {SEG_REPORT_MAX_HEALTHY_FP_ML:g} mL on tumour-free cases, tables above), so the node withholds the "
            "SEG and the volumes, and says so in the SR; the classification heads are still reported with the missing "
            "sequences named. Sites can turn this off (`models.withholdUnvalidatedSegmentation: false`).\n")


def write_card(path: str, task: Task, manifest: Dict, ev: Dict, report: Dict, n_params: int, size: int, ck: Dict,
               extra: str) -> None:
    temps = ', '.join(f'{h} {t:.3f}' for h, t in ev['temperatures'].items())
    sig = ', '.join(f'{h} {s:.3f}' for h, s in (ev.get('sigma') or {}).items())
    args = ck.get('args', {})
    heads = ', '.join(f"{h} ({'/'.join(c)})" for h, c in task.classes.items())
    val = ev['validation'].get('full', {})
    val_cal = val.get('calibrated', {})
    val_unc = val.get('uncalibrated', {})
    seg_w = f', foreground-weighted CE {list(task.seg_ce_weight)}' if task.seg_ce_weight else ''
    p_tum = task.p_tumour if (args.get('p_tumour') is None or args.get('p_tumour', -1) < 0) else args['p_tumour']
    bright_text = (f"; hard negatives centred on a bright tumour-free T1ce voxel (z > 1.5: orbital/scalp fat, temporal "
                   f"muscle, sinus, choroid plexus; p = {args['p_bright']})" if args.get('p_bright') else '')
    region_text = (f" (weights {', '.join(f'{r} {w}' for r, w in zip(task.regions, args['region_weights'].split(',')))})"
                   if args.get('region_weights') else '')
    freeze = args.get('freeze_bn_after', -1)
    if freeze is not None and freeze >= 0:
        region_text += f'; BatchNorm statistics frozen from iteration {freeze + 1} (training computes what inference computes)'
    ece_rows = '\n'.join(
        f"| {h} | {f(val_unc.get(h, {}).get('ece'))} | {f(val_cal.get(h, {}).get('ece'))} |" for h in task.classes)
    text = f"""# Model card: {manifest['name']} {manifest['version']}

**Research use only, trained on synthetic data. Every number below is measured on synthetic studies; none is a
clinical performance figure, and no real patient data was used for training or testing.**

## Intended use
{manifest['intendedUse']}

## Model
- Inputs: `image` float32 [N, {len(task.roles)}, D, H, W], channels {task.roles} (tensor axes k, j, i of the model grid),
  plus `modality_mask` float32 [N, {len(task.roles)}] (1 = sequence present, 0 = missing and zero-filled).
- Grid: 2 mm isotropic, LPS-aligned, centred on the head centroid, 96 × 112 × 96 voxels (i, j, k); per-channel
  z-score inside the head mask after clipping to the 0.5 / 99.5 percentiles.
- Inference: {inference_text(manifest)} Spatial dims of the graph are dynamic (multiples of 8).
- Architecture: 3D U-Net-style encoder–decoder, widths {list(ck['widths'])}, BatchNorm + LeakyReLU, stride-2 conv
  down, transposed-conv up, BatchNorm (a fixed affine in eval, so the whole-grid forward equals patch-wise
  inference); modality mask enters as input channels and as FiLM on the bottleneck; segmentation head
  ({task.n_seg}-class softmax); classification heads {heads} are small MLPs on tumour-attention pooled bottleneck and
  decoder features (weights = predicted probability of each tumour class, detached), predicted region volume
  fractions and the modality mask. {n_params:,} parameters; ONNX opset 17, {size / 1e6:.2f} MB.
- Training: {ck['iter']} iterations, batch {args.get('batch')}, patch {args.get('patch')}³, AdamW lr {args.get('lr')} with
  cosine decay, seed {args.get('seed')}. Loss: soft Dice over the evaluated regions{region_text} + cross-entropy (segmentation) and
  class-weighted cross-entropy per head with ignore_index for labels that do not apply, combined with Kendall et al.'s
  uncertainty weighting L = Σ ½·exp(−s)·L + ½·s (s = log σ²). Learned σ at the checkpoint: {sig or '–'}.
- Patches: tumour-centred (p = {p_tum}){bright_text}, else random in the grid.
- Augmentation: flips on all axes; per-channel intensity scale/shift,
  gamma and noise; Tumor-CutMix (p = 0.2: a donor tumour pasted with its labels at the same grid position of another
  case; class labels follow the donor); modality dropout (random non-empty subsets of the available sequences, zeroed
  with the mask set to match; full input in 35 % of patches).
- Calibration: one temperature per head fitted on the validation cases (NLL): {temps}.

## Training data
{manifest['trainingData']}

{extra}

## Held-out results (synthetic)
Test sets use seeds never used in training; "unseen-vendor" uses a vendor profile (contrast, noise, bias field and
blur) that no training case had. Dice is per case (mean over tumour-bearing cases; WT = NCR+ED+ET, TC = NCR+ET);
"healthy FP" is the mean predicted tumour volume on tumour-free cases.

### Segmentation
{dice_table(task, ev['test'])}

{missing_drop(task, ev['test'])}

As the node delivers it (its default post-processing, `src/ai/engine.ts`: {'hierarchical decoding of the nested regions, then ' if task.n_seg == 4 else ''}tumour
components under 0.1 mL removed{' and enhancing components under 0.1 mL relabelled as core' if task.n_seg == 4 else ''}); the table above is the raw argmax:

{node_dice_table(task, ev['test'])}

### Classification heads (calibrated probabilities; AUC binary or macro one-vs-rest; accuracy at argmax)
{head_table(task, ev['test'])}

### Calibration on the validation split (full input)
| head | ECE before | ECE after temperature scaling |
|---|---|---|
{ece_rows}

### Targets (issue 5)
{targets_section(task, ev['test'])}

## Export verification
onnx.checker (full check) passed; onnxruntime-node vs PyTorch, worst max abs difference over all outputs
{report['worstMaxAbsDiff']:.2e} ({'; '.join(c['name'] for c in report['cases'])}).

## Limitations
- Synthetic data only: one real anatomy (ch2) deformed by random pose and scale, simulated contrasts and tumours
  whose phenotype follows published imaging correlations. The class heads learn those simulated correlations; real
  tumours are far more variable. Never use the outputs for diagnosis or treatment.
- The molecular heads read imaging phenotype only; e.g. a synthetic IDH-mutant astrocytoma is non-enhancing by
  construction, so accuracy here says little about real IDH prediction (real-data state of the art: AUC ≈ 0.85–0.90).
- 2 mm grid: structures below ~4 mm (small metastases, thin enhancing rims) are partial-volumed.
{reporting_rule(manifest)}
## Version history
- {manifest['version']} ({datetime.date.today().isoformat()}): this package (see "Training history" above when
  present); earlier versions and their cards are in the git history of this folder.
"""
    with open(path, 'w') as out:
        out.write(text)
