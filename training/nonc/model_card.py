"""MODEL_CARD.md from the evaluation JSON (evaluate.py) and the export report."""
import datetime
import math
import os
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
    """Issue 16's targets, measured on each test set (the regression floors in npm test read the tables above)."""
    lines = []

    def row(tname, metric, target, value, ok, by=None):
        verdict = 'reported' if ok is None else 'met' if ok else ('**missed**' + (f' by {by:.3f}' if by is not None else ''))
        lines.append(f"| {tname} | {metric} | {target} | {f(value)} | {verdict} |")

    def at_least(tname, metric, value, thr):
        row(tname, metric, f'≥ {thr:.2f}', value, value >= thr, thr - value)

    def at_most(tname, metric, value, thr):
        row(tname, metric, f'≤ {thr:.2f}', value, value <= thr, value - thr)
    header = '| test set | metric | target | reached | |\n|---|---|---|---|---|\n'
    if task.n_seg != 4:
        for tname, t in test.items():
            s = t['subsets'].get('full')
            if not s:
                continue
            at_least(tname, 'Dice GTV, full input', s['dice_GTV'], 0.85)
            for h in task.classes:
                if h in s:
                    row(tname, f'{h} AUC', '–', s[h]['auc'], None)
                    at_most(tname, f'{h} ECE, full', s[h]['ece'], 0.05)
            if 'lesion_sensitivity' in s:
                row(tname, f"lesion-wise sensitivity, lesions ≥ 3 mm (n = {s['lesions_total']})", '–',
                    s['lesion_sensitivity'], None)
                row(tname, 'false-positive components per case', '–', s['false_positive_lesions_per_case'], None)
        return (header + '\n'.join(lines) + '\n\nFor orientation only (real data, not comparable): the EGFR/GTV reference '
                'paper (J Transl Med 2023) reports Dice 0.89 / 0.85 and EGFR accuracy 0.88 / 0.81 on its internal / '
                'external test sets.')
    for tname, t in test.items():
        subs = t['subsets']
        s = subs.get('full')
        if not s:
            continue
        for k, thr in (('WT', 0.88), ('TC', 0.82), ('ET', 0.78)):
            at_least(tname, f'Dice {k}, full input', s[f'dice_{k}'], thr)
        for sname, key, tol in (('no FLAIR', 'WT', 0.08), ('no T1ce', 'TC', 0.10), ('no T2', 'WT', 0.05), ('no T1', 'WT', 0.05)):
            if sname in subs:
                at_most(tname, f'Dice {key} drop, {sname}', s[f'dice_{key}'] - subs[sname][f'dice_{key}'], tol)
        for sname in ('no FLAIR', 'no T2', 'no T1'):
            r = subs.get(sname, {}).get('idh')
            if r:
                at_least(tname, f'idh AUC, {sname}', r['auc'], 0.95)
        hist = s.get('histology', {})
        if 'astro_vs_oligo_accuracy' in hist:
            at_least(tname, f"astrocytoma vs oligodendroglioma accuracy, full (n = {hist['astro_vs_oligo_n']})",
                     hist['astro_vs_oligo_accuracy'], 0.85)
        for h in task.classes:
            if h in s:
                at_most(tname, f'{h} ECE, full', s[h]['ece'], 0.05)
        if 'any_head_indeterminate_share' in s:
            v = s['any_head_indeterminate_share']
            row(tname, 'share of tumour cases with an indeterminate head, full', '< 0.10', v, v < 0.10, v - 0.10)
    return header + '\n'.join(lines)


def lesion_table(test: Dict) -> str:
    """Lesion-wise detection on the node's delivered labels (lesions with an equivalent diameter ≥ 3 mm)."""
    lines = ['| test set | inputs | lesions | lesion-wise sensitivity | false-positive components per case |',
             '|---|---|---|---|---|']
    for tname, t in test.items():
        for sname, s in t['subsets'].items():
            if 'lesion_sensitivity' in s:
                lines.append(f"| {tname} | {sname} | {s['lesions_total']} | {f(s['lesion_sensitivity'])} | "
                             f"{f(s['false_positive_lesions_per_case'], 2)} |")
    return '\n'.join(lines) if len(lines) > 2 else ''


def indeterminate_table(task: Task, test: Dict) -> str:
    heads = list(task.classes)
    lines = ['| test set | inputs | ' + ' | '.join(heads) + ' | any head |', '|' + '---|' * (3 + len(heads))]
    for tname, t in test.items():
        for sname, s in t['subsets'].items():
            cells = [f(s[h].get('indeterminate_share')) if h in s else '–' for h in heads]
            lines.append(f"| {tname} | {sname} | " + ' | '.join(cells) + f" | {f(s.get('any_head_indeterminate_share'))} |")
    return '\n'.join(lines)


def reliability_text(pngs) -> str:
    if not pngs:
        return ''
    out = ['Reliability diagrams (calibrated probabilities; bars: accuracy per confidence bin, red: the bin\'s mean '
           'confidence, grey: perfect calibration):', '']
    for tname, names in pngs.items():
        out.append(f'{tname}, full input: ' + ' '.join(f'![{n}](calibration/{n})' for n in names))
    return '\n'.join(out) + '\n'


def candidate_section(task: Task, ev: Dict, candidates: Dict[str, Dict]) -> str:
    """Held-out comparison of this package with candidate runs that were trained but not shipped (same test sets)."""
    if not candidates:
        return ''
    regions = list(task.regions)
    heads = list(task.classes)
    out = []
    for name, cand in candidates.items():
        lines = [f'### Compared with {name} (not in this package)', '',
                 f"Trained (see Training history) and evaluated on the same held-out sets; Dice {' / '.join(regions)} "
                 'and every head\'s AUC, this package → candidate (Δ for Dice):', '',
                 '| test set | inputs | ' + ' | '.join(f'Dice {r}' for r in regions) + ' | '
                 + ' | '.join(f'{h} AUC' for h in heads) + ' |',
                 '|' + '---|' * (2 + len(regions) + len(heads))]
        for tname, t in ev['test'].items():
            ct = cand['test'].get(tname)
            if not ct:
                continue
            for sname, s in t['subsets'].items():
                c = ct['subsets'].get(sname)
                if not c:
                    continue
                cells = [f"{f(s[f'dice_{r}'])} → {f(c[f'dice_{r}'])} ({c[f'dice_{r}'] - s[f'dice_{r}']:+.3f})" for r in regions]
                for h in heads:
                    a, b = (s.get(h) or {}).get('auc'), (c.get(h) or {}).get('auc')
                    cells.append(f'{f(a)} → {f(b)}' if a is not None and b is not None else '–')
                lines.append(f'| {tname} | {sname} | ' + ' | '.join(cells) + ' |')
        out.append('\n'.join(lines))
    return '\n\n'.join(out) + '\n'


def runs_table(stages: Dict[str, list]) -> str:
    """Every training run of every stage (training/checkpoints/<stage>/runs.json)."""
    if not stages:
        return ''
    lines = ['| stage | run | iterations | minutes | threads | compute | date | note |', '|---|---|---|---|---|---|---|---|']
    for stage, runs in stages.items():
        for r in runs:
            lines.append(f"| {stage} | {r['run']} | {r['from']}–{r['to']} | {r['minutes']} | {r['threads']} | {r['compute']} | "
                         f"{r.get('date', '')} | {r.get('note', '')} |")
    return '## Training history (resumable: training/checkpoints)\n' + '\n'.join(lines) + '\n'


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


def init_text(args: Dict) -> str:
    """Where a fine-tuned stage started and what it saw (the data folders with their sampling weights)."""
    if not args.get('init_checkpoint'):
        return ''
    data = []
    for d in args.get('data') or []:
        path, _, w = d.partition(':')
        kind = 'synth --variety wide' if 'wide' in path else 'narrow'
        data.append(f"`{path}` ({kind}{f', sampling weight {w}' if w else ''})")
    stage = os.path.basename(os.path.dirname(args['init_checkpoint'])) or args['init_checkpoint']
    return (f"\n- Fine-tuned from the weights of the `{stage}` stage (`{args['init_checkpoint']}`) on {' + '.join(data)}; "
            "the iterations above are this stage's own (all stages: Training history below).")


def distill_text(args: Dict) -> str:
    if args.get('distill') != 'ema':
        return ''
    return (f"\n- Missing-modality robustness (GMMAS-style knowledge self-distillation): fine-tuned from the stage above "
            f"with an EMA teacher (decay {args.get('ema_decay')}) that sees the same patch with every available sequence, "
            f"while the student sees a random subset (full input in {args.get('p_full')} of patches). Added to the "
            f"supervised loss: KL divergence of the softened segmentation and head outputs (temperature "
            f"{args.get('kd_temp')}, weight {args.get('kd_weight')}) and the student's bottleneck and decoder features "
            f"matched to the teacher's (variance-scaled MSE, weight {args.get('feat_weight')}). No contrastive term. "
            f"Checkpoint chosen: the last iteration; validation averaged over {args.get('val_subsets')}.")


def calibration_text(ev: Dict) -> str:
    sd = ev.get('temperature_prior_sd') or 0
    return f'NLL plus a normal prior on log T with sd {sd:g}, i.e. MAP' if sd > 0 else 'NLL'


def write_card(path: str, task: Task, manifest: Dict, ev: Dict, report: Dict, n_params: int, size: int, ck: Dict,
               extra: str, stages: Dict[str, list] = None, reliability_pngs: Dict[str, list] = None,
               candidates: Dict[str, Dict] = None, released: str = '') -> None:
    temps = ', '.join(f'{h} {t:.3f}' for h, t in ev['temperatures'].items())
    sig = ', '.join(f'{h} {s:.3f}' for h, s in (ev.get('sigma') or ((ck.get('history') or [{}])[-1].get('sigma')) or {}).items())
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
  with the mask set to match; full input in {round(100 * (args.get('p_full') if (args.get('p_full') or -1) >= 0 else task.p_full))} % of patches).{init_text(args)}{distill_text(args)}
- Calibration: one temperature per head fitted on the validation cases ({calibration_text(ev)}): {temps}.

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

### Lesion-wise detection (connected components, 26-neighbourhood; ground-truth lesions ≥ 3 mm equivalent diameter)
{lesion_table(ev['test'])}

### Classification heads (calibrated probabilities; AUC binary or macro one-vs-rest; accuracy at argmax)
{head_table(task, ev['test'])}

### Indeterminate outputs (the node's rule: top probability < 0.6 or normalised entropy > 0.9; share of cases)
{indeterminate_table(task, ev['test'])}

{reliability_text(reliability_pngs)}
### Calibration on the validation split (full input)
| head | ECE before | ECE after temperature scaling |
|---|---|---|
{ece_rows}

### Targets (issue 16)
{targets_section(task, ev['test'])}

{candidate_section(task, ev, candidates or {})}
{runs_table(stages or {})}
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
- {manifest['version']} ({released or datetime.date.today().isoformat()}): this package (see "Training history" above when
  present); earlier versions and their cards are in the git history of this folder.
"""
    with open(path, 'w') as out:
        out.write(text)
