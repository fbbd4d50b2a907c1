"""Export a trained checkpoint to ONNX (opset 17, dynamic batch and spatial axes, eval mode) and verify it:
onnx.checker, then onnxruntime-node (training/verify_onnx.js) against PyTorch on real patches."""
import json
import os
import subprocess
import tempfile
from typing import Dict, List

import numpy as np
import onnx
import torch

from .tasks import Task

OPSET = 17
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Exportable(torch.nn.Module):
    """Wraps the net so the ONNX graph has named outputs in a fixed order."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image, modality_mask):
        return tuple(self.net(image, modality_mask))


def output_names(task: Task) -> List[str]:
    return ['seg_logits'] + [f'{h}_logits' for h in task.classes]


def export_onnx(net, task: Task, path: str) -> None:
    net.eval()
    c = len(task.roles)
    dummy = (torch.zeros(1, c, 64, 64, 64), torch.ones(1, c))
    names = output_names(task)
    dyn = {'image': {0: 'N', 2: 'D', 3: 'H', 4: 'W'}, 'modality_mask': {0: 'N'}, 'seg_logits': {0: 'N', 2: 'D', 3: 'H', 4: 'W'}}
    for n in names[1:]:
        dyn[n] = {0: 'N'}
    torch.onnx.export(Exportable(net), dummy, path, input_names=['image', 'modality_mask'], output_names=names,
                      dynamic_axes=dyn, opset_version=OPSET, training=torch.onnx.TrainingMode.EVAL,
                      do_constant_folding=True)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)


def run_node_verification(onnx_path: str, cases: List[Dict]) -> Dict:
    """cases: [{'name', 'inputs': {tensor name: array}, 'outputs': {tensor name: PyTorch array}}]. Runs the graph
    in onnxruntime-node (training/verify_onnx.js) and returns its report plus the worst absolute difference."""
    with tempfile.TemporaryDirectory() as d:
        spec = {'cases': []}
        for i, case in enumerate(cases):
            entry = {'name': case['name'], 'inputs': {}, 'outputs': {}}
            for kind in ('inputs', 'outputs'):
                for key, arr in case[kind].items():
                    f = f'{i}_{kind}_{key}.f32'
                    np.ascontiguousarray(arr, np.float32).tofile(os.path.join(d, f))
                    entry[kind][key] = {'file': f, 'shape': list(arr.shape)}
            spec['cases'].append(entry)
        with open(os.path.join(d, 'cases.json'), 'w') as f:
            json.dump(spec, f)
        res = subprocess.run(['node', os.path.join(REPO, 'training', 'verify_onnx.js'), os.path.abspath(onnx_path), d],
                             capture_output=True, text=True, cwd=REPO)
        if res.returncode != 0:
            raise RuntimeError(f'onnxruntime-node verification failed: {res.stdout}\n{res.stderr}')
        report = json.loads(res.stdout.strip().splitlines()[-1])
    report['worstMaxAbsDiff'] = max(float(v) for c in report['cases'] for v in c['maxAbsDiff'].values())
    return report


@torch.no_grad()
def verify_with_node(net, task: Task, onnx_path: str, examples: List[Dict[str, np.ndarray]]) -> Dict:
    """examples: [{'name', 'image' [N,C,D,H,W], 'mask' [N,C]}]. Returns the JS report plus the worst diff."""
    net.eval()
    names = output_names(task)
    cases = []
    for ex in examples:
        outs = net(torch.from_numpy(ex['image']), torch.from_numpy(ex['mask']))
        cases.append({'name': ex['name'], 'inputs': {'image': ex['image'], 'modality_mask': ex['mask']},
                      'outputs': {n: o.numpy() for n, o in zip(names, outs)}})
    return run_node_verification(onnx_path, cases)
