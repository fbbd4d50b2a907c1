"""Package the BraTS-convention glioma model (models/glioma-brats-convention): ONNX with one input (`image`, the
four sequences in template space, skull-stripped, z-scored) and one output (`regions`: nested whole tumour, tumour
core and enhancing tumour probabilities, as region-trained BraTS models give them), verified with onnxruntime-node
against PyTorch, then the manifest's sha256 and the model card.

    /usr/bin/python3 -m nonc.brats_package --run runs/glioma-brats --data DIR --compare runs/glioma-brats/compare.json \
        --out ../models/glioma-brats-convention
"""
import argparse
import datetime
import json
import os

import numpy as np
import torch

from .evaluate import load_net
from .onnx_export import OPSET, REPO, run_node_verification
from .package import sha256
from .tasks import TASKS
from .train import load_cases


class RegionsExportable(torch.nn.Module):
    """image [N,4,D,H,W] -> regions [N,3,D,H,W]: WT = 1 - p(background), TC = p(NCR) + p(ET), ET = p(ET).
    Nested by construction (WT >= TC >= ET); the modality mask is all ones (the convention needs every sequence)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        mask = torch.ones_like(image[:, :, 0, 0, 0])
        p = torch.softmax(self.net(image, mask)[0], dim=1)
        return torch.cat([1 - p[:, 0:1], p[:, 1:2] + p[:, 3:4], p[:, 3:4]], dim=1)


def export(net, path: str) -> None:
    import onnx
    net.eval()
    wrapped = RegionsExportable(net)
    torch.onnx.export(wrapped, (torch.zeros(1, 4, 64, 64, 64),), path, input_names=['image'], output_names=['regions'],
                      dynamic_axes={'image': {0: 'N', 2: 'D', 3: 'H', 4: 'W'}, 'regions': {0: 'N', 2: 'D', 3: 'H', 4: 'W'}},
                      opset_version=OPSET, training=torch.onnx.TrainingMode.EVAL, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path), full_check=True)


@torch.no_grad()
def verify(net, path: str, cases) -> float:
    """Worst absolute difference between PyTorch and onnxruntime-node on whole template-space cases."""
    wrapped = RegionsExportable(net).eval()
    checks = []
    for c in cases:
        img = np.ascontiguousarray(c.full_image()[None], np.float32)
        checks.append({'name': c.case_id, 'inputs': {'image': img}, 'outputs': {'regions': wrapped(torch.from_numpy(img)).numpy()}})
    return run_node_verification(path, checks)['worstMaxAbsDiff']


def split_counts(ck: dict) -> str:
    path = os.path.join(ck['args']['out'], 'split.json') if os.path.isabs(ck['args']['out']) else os.path.join(os.path.dirname(os.path.dirname(__file__)), ck['args']['out'], 'split.json')
    try:
        with open(path) as f:
            s = json.load(f)
        return f"{len(s['train'])} training and {len(s['val'])} validation cases (seed brats1-glioma-train; vendor profiles siemens and ge)"
    except OSError:
        return 'see training/train_brats_convention.sh (N)'


def native_version() -> str:
    with open(os.path.join(REPO, 'models', 'glioma-mtl', 'manifest.json')) as f:
        return json.load(f)['version']


def comparison_lines(compare: dict) -> list:
    """What the comparison says, computed from it (not fixed text): per-study wins, ET with and without studies whose
    enhancing tumour is tiny, and the noise caveat."""
    rows = [r for r in compare['rows'] if r.get('brats')]
    nat, bra = compare['summary']['native'], compare['summary']['brats']
    worse_wt = [r['seed'] for r in rows if r['brats']['wt'] < r['native']['wt']]
    lines = [f"WT: this model is higher on {len(rows) - len(worse_wt)} of {len(rows)} studies and lower on {len(worse_wt)}"
             + (f" ({', '.join(worse_wt)})." if worse_wt else '.')]
    big = [r for r in rows if r.get('truthEtVoxels', 0) >= 500]
    if big and len(big) != compare.get('etStudies'):
        m = lambda k: sum(r[k]['et'] for r in big) / len(big)
        lines.append(f"ET on the {len(big)} studies whose ground truth has at least 500 enhancing voxels (on the generator's grid): glioma-mtl {m('native'):.3f}, "
                     f"this model {m('brats'):.3f}; studies with a few enhancing voxels move the ET mean a lot.")
    diff = bra['wt'] - nat['wt']
    lines.append(f"Mean WT difference {diff:+.3f} (this − native). With {len(rows)} studies, differences of a few hundredths are "
                 'within noise. Not tested separately: this model always sees all four sequences (glioma-mtl is trained with '
                 'random missing sequences), it started from glioma-mtl\'s weights, and its input is skull-stripped.')
    return lines


def fmt(x) -> str:
    return 'n/a' if x is None else f'{x:.3f}'


def write_card(path: str, manifest: dict, ck: dict, runs: list, compare: dict, worst: float, n_params: int, size: int) -> None:
    s = compare['summary']
    nat, bra = s['native'], s['brats']
    lines = [
        f"# Model card: {manifest['name']} {manifest['version']}",
        '',
        '**Research use only. Trained and evaluated on synthetic data; these figures are not clinical performance.**',
        '',
        '## What it is',
        '',
        manifest['description'],
        '',
        'It exists to prove that the node runs a model trained in the BraTS convention unchanged: the node registers the',
        'series to each other, registers the reference series to the atlas (Colin27 standing in for SRI24), extracts the',
        'brain, resamples the four sequences once onto the template grid, runs the model, and maps the region',
        'probabilities back to the native display series before thresholding (docs/model-package.md).',
        '',
        '| | |',
        '|---|---|',
        f"| Input | `image` [N, 4, D, H, W] float32, channels T1, T1ce, T2, FLAIR, template space {manifest['preprocessing']['space']['grid']['size']} at {manifest['preprocessing']['space']['grid']['spacing']} mm, skull-stripped, z-score over brain voxels |",
        '| Output | `regions` [N, 3, D, H, W]: WT, TC, ET probabilities (nested), threshold 0.5 |',
        '| Sequences | all four required (as BraTS models); a study missing one is not segmented by this model |',
        f'| Network | 3D U-Net (widths {list(ck["widths"])}), {n_params:,} parameters, ONNX opset {OPSET}, {size / 1e6:.1f} MB |',
        f'| ONNX check | onnx.checker, and onnxruntime-node vs PyTorch on whole cases: worst absolute difference {worst:.2e} |',
        '',
        '## Training',
        '',
        manifest['trainingData'],
        '',
        f"- Start point: the weights of glioma-mtl {native_version()} (same network; native-space input), fine-tuned on",
        '  template-space, skull-stripped input with every sequence present. The classification heads of the network are',
        '  not exported.',
        f"- Cases: {split_counts(ck)}.",
        f"- Iterations {ck['iter']}, patch {list(ck['patch'])}, batch {ck['args']['batch']}, learning rate {ck['args']['lr']}, BatchNorm frozen (fine-tuning).",
        '- Compute: CPU only (the 2-core build machine, torch threads per run as below); no GPU was available.',
        '',
        '| Run | Iterations | Wall time | Threads | Date |',
        '|---|---|---|---|---|',
    ]
    for r in runs:
        lines.append(f"| {r['run']} | {r['from']} → {r['to']} | {r['minutes']:.0f} min | {r['threads']} | {r['date']} |")
    lines += [
        '',
        f"Checkpoint: `training/checkpoints/glioma-brats-convention/last.pt` (optimizer state included); rerunning `bash training/train_brats_convention.sh` continues from it (with a larger `ITERS` to train on).",
        '',
        '## Evaluation: the same held-out studies through the node, native-space model vs this model',
        '',
        f"{compare['studies']} synthetic studies on unseen seeds and the Philips vendor profile (not in training), all four",
        'sequences, with random rigid motion between series where stated. Both models ran through the node itself',
        '(`inferStudy`: DICOM decoding, inter-series registration, each model\'s own preprocessing, TTA off) and were',
        'scored on the native display series against the generator\'s ground truth. WT and TC are averaged over all',
        f"studies; ET over the {compare.get('etStudies', '?')} studies whose ground truth contains enhancing tumour (elsewhere both models",
        'correctly segment none, which would count as Dice 1).',
        '',
        '| Model | Space | WT Dice | TC Dice | ET Dice |',
        '|---|---|---|---|---|',
        f"| glioma-mtl {compare['nativeVersion']} | native 2 mm grid | {fmt(nat['wt'])} | {fmt(nat['tc'])} | {fmt(nat['et'])} |",
        f"| {manifest['name']} {manifest['version']} | template 2 mm, skull-stripped | {fmt(bra['wt'])} | {fmt(bra['tc'])} | {fmt(bra['et'])} |",
        f"| difference (this − native) | | {fmt(bra['wt'] - nat['wt'])} | {fmt(bra['tc'] - nat['tc'])} | {fmt(bra['et'] - nat['et'])} |",
        '',
        'Per study (WT native / this): ' + ', '.join('%s %.3f/%.3f' % (r['seed'], r['native']['wt'], r['brats']['wt']) for r in compare['rows'] if r.get('brats')) + '.',
        *comparison_lines(compare),
        '',
        f"Time per study through the node (CPU, this machine, loaded): native {compare['seconds']['native']:.1f} s, this model {compare['seconds']['brats']:.1f} s (atlas registration and brain extraction included).",
        '',
        '## Limitations',
        '',
        '- Evaluated on synthetic studies built from one underlying anatomy (Colin27, randomly deformed and scaled), which is',
        '  optimistic; the atlas the node registers to is the same anatomy the studies were built from.',
        '- Trained on the undeformed template anatomy only (52 cases), so registration and brain-extraction errors of',
        '  other anatomies were never seen in training; the held-out studies are deformed.',
        '- Colin27 stands in for SRI24: a real BraTS model would see its input placed a few millimetres and a few per cent of',
        '  scale differently from its training data (docs/model-package.md).',
        '- 2 mm, not the 1 mm of BraTS challenge models, to keep CPU training and inference within this project\'s budget.',
        '- Not for clinical use.',
        '',
    ]
    with open(path, 'w') as f:
        f.write('\n'.join(lines))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('--run', required=True)
    ap.add_argument('--data', required=True, help='template-space training export (for verification cases)')
    ap.add_argument('--compare', default='', help='JSON from training/compare_spaces.js (without it: export only, no card)')
    ap.add_argument('--runs-log', required=True, help='JSON list of training runs (iterations, wall time)')
    ap.add_argument('--version', default='0.1.0')
    ap.add_argument('--out', required=True)
    args = ap.parse_args(argv)
    task = TASKS['glioma-brats']
    net, ck = load_net(task, args.run, 'last.pt')
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, 'model.onnx')
    export(net, onnx_path)
    cases = load_cases(task, args.data)[:2]
    worst = verify(net, onnx_path, cases)
    if worst > 1e-3:
        raise SystemExit(f'onnxruntime-node differs from PyTorch by {worst}')
    mpath = os.path.join(args.out, 'manifest.json')
    with open(mpath) as f:
        manifest = json.load(f)
    manifest['version'] = args.version
    manifest['model']['sha256'] = sha256(onnx_path)
    with open(mpath, 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    if not args.compare:
        print(json.dumps({'onnx': onnx_path, 'sha256': manifest['model']['sha256'], 'worst': worst}))
        return
    with open(args.compare) as f:
        compare = json.load(f)
    with open(args.runs_log) as f:
        runs = json.load(f)
    # Parameters in the exported graph: the classification heads of the network are not part of it.
    n_params = sum(p.numel() for n, p in net.named_parameters() if not n.startswith('heads.'))
    write_card(os.path.join(args.out, 'MODEL_CARD.md'), manifest, ck, runs, compare, worst, n_params, os.path.getsize(onnx_path))
    print(json.dumps({'onnx': onnx_path, 'sha256': manifest['model']['sha256'], 'worst': worst, 'date': datetime.date.today().isoformat()}))


if __name__ == '__main__':
    main()
