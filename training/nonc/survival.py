"""Reference prognosis head for glioma-mtl: a discrete-time hazard model on synthetic outcomes, grafted onto the
exported ONNX graph (manifest head kind `survival`, docs/model-package.md).

Why this design: the synthetic studies carry no outcome, so outcomes are drawn from published population survival
figures by WHO CNS5 entity, grade and age (OUTCOME_MODEL, sources in SOURCES). The head reads what the image model
already estimates, the softmax of its idh / 1p19q / grade / histology heads, plus the patient's age, so it learns
how much the image model's uncertainty about the entity widens the survival estimate. It is the proportional-odds
discrete-time hazard model h_b = sigmoid(alpha_b + w . x) over the manifest's time bins, fitted by maximum likelihood
on person-period data with censoring (Singer & Willett 1993; Tutz & Schmid 2016).

    /usr/bin/python3 -m nonc.survival --onnx ../models/glioma-mtl/model.onnx --train data/v5/glioma-surv \
        --val data/v5/glioma-val --test data/v5/glioma-test-philips --out runs/survival
    (--package ../models/glioma-mtl grafts the head: extra input `age`, output `survival_hazard`; manifest; card)
"""
import argparse
import json
import math
import os
import time
from typing import Dict, List, Tuple

import numpy as np
import torch

from .metrics import softmax
from .tasks import TASKS
from .train import load_cases

TIME_BINS = [6, 12, 18, 24, 36, 48, 60, 84, 120]   # upper edges, months
REPORT_AT = [12, 24, 60]
FEATURE_HEADS = ['idh', 'codeletion_1p19q', 'grade', 'histology']
AGE_CENTRE, AGE_SCALE = 50.0, 15.0

# Generator parameters per entity: Weibull median (months) and shape at the reference age; hazard ratio per decade
# of age around it; age distribution of patients. Medians are read from the publications below (rounded), the shapes
# chosen so that the 2- and 5-year survival land near the published landmarks where given; both generator and
# published figures are printed in the model card so the approximation is visible.
OUTCOME_MODEL = {
    'glioblastoma, IDH-wildtype, grade 4': dict(median=15.0, shape=1.1, ref_age=60, age_mu=62, age_sd=11),
    'astrocytoma, IDH-mutant, grade 2': dict(median=130.0, shape=1.3, ref_age=38, age_mu=38, age_sd=11),
    'astrocytoma, IDH-mutant, grade 3': dict(median=100.0, shape=1.3, ref_age=40, age_mu=40, age_sd=11),
    'astrocytoma, IDH-mutant, grade 4': dict(median=31.0, shape=1.2, ref_age=42, age_mu=42, age_sd=12),
    'oligodendroglioma, IDH-mutant and 1p/19q-codeleted, grade 2': dict(median=180.0, shape=1.3, ref_age=45, age_mu=44, age_sd=11),
    'oligodendroglioma, IDH-mutant and 1p/19q-codeleted, grade 3': dict(median=150.0, shape=1.3, ref_age=48, age_mu=48, age_sd=12),
}
HR_PER_DECADE = 1.3
SOURCES = [
    ('glioblastoma, IDH-wildtype, grade 4', 'median 14.6 months, 2-year 26.5 % with radiotherapy + temozolomide; '
     '5-year 9.8 %', 'Stupp R et al. N Engl J Med 2005;352:987-996; Stupp R et al. Lancet Oncol 2009;10:459-466'),
    ('astrocytoma, IDH-mutant, grade 4', 'median 31 months (IDH-mutant glioblastoma, pre-2021 terminology)',
     'Yan H et al. N Engl J Med 2009;360:765-773'),
    ('astrocytoma, IDH-mutant, grade 3', 'median ≈ 8–10 years with adjuvant temozolomide (CATNON, IDH-mutant)',
     'van den Bent MJ et al. Lancet Oncol 2021;22:813-823'),
    ('astrocytoma, IDH-mutant, grade 2', 'median ≈ 10–13 years (IDH-mutant, 1p/19q-intact lower-grade glioma)',
     'Buckner JC et al. N Engl J Med 2016;374:1344-1355 (RTOG 9802); Weller M et al. Nat Rev Clin Oncol 2021;18:170-186'),
    ('oligodendroglioma, grade 3', 'median 14.7 years with PCV + radiotherapy (1p/19q-codeleted)',
     'Cairncross G et al. J Clin Oncol 2013;31:337-343 (RTOG 9402)'),
    ('oligodendroglioma, grade 2', 'median > 13 years, not reached in several trials',
     'Buckner JC et al. N Engl J Med 2016;374:1344-1355 (RTOG 9802)'),
    ('age', 'survival falls with age within each entity; hazard ratio ≈ 1.3 per decade used here',
     'Ostrom QT et al. CBTRUS Statistical Report, Neuro-Oncology 2023;25(Suppl 4):iv1-iv99'),
]


def entity_of(meta: Dict) -> str:
    c = meta.get('classes', {})
    tumour = str(c.get('tumor', c.get('tumour', 'none'))).lower()
    grade = str(c.get('grade'))
    if tumour == 'gbm':
        return 'glioblastoma, IDH-wildtype, grade 4'
    if tumour == 'astro':
        return f'astrocytoma, IDH-mutant, grade {grade}'
    if tumour == 'oligo':
        return f'oligodendroglioma, IDH-mutant and 1p/19q-codeleted, grade {grade}'
    raise ValueError(f'no outcome model for tumour kind {tumour!r}')


def weibull_scale(median: float, shape: float) -> float:
    return median / math.log(2) ** (1 / shape)


def true_survival(entity: str, age: float, t: float) -> float:
    p = OUTCOME_MODEL[entity]
    hr = HR_PER_DECADE ** ((age - p['ref_age']) / 10)
    return math.exp(-hr * (t / weibull_scale(p['median'], p['shape'])) ** p['shape'])


def draw_outcome(rng: np.random.Generator, entity: str, age: float, follow_up: Tuple[float, float]) -> Tuple[float, bool]:
    """(time in months, event observed) with administrative censoring at a uniform follow-up and at the last bin."""
    p = OUTCOME_MODEL[entity]
    hr = HR_PER_DECADE ** ((age - p['ref_age']) / 10)
    lam = weibull_scale(p['median'], p['shape'])
    t = lam * (-math.log(1 - rng.random()) / hr) ** (1 / p['shape'])
    c = min(rng.uniform(*follow_up), TIME_BINS[-1])
    return (t, True) if t <= c else (c, False)


def draw_age(rng: np.random.Generator, entity: str) -> float:
    p = OUTCOME_MODEL[entity]
    # 25 % from a flat 18-90 range so that age is identifiable within each entity.
    a = rng.uniform(18, 90) if rng.random() < 0.25 else rng.normal(p['age_mu'], p['age_sd'])
    return float(np.clip(a, 18, 90))


def person_period(time_m: float, event: bool) -> Tuple[np.ndarray, np.ndarray]:
    """Rows for the bins a patient was at risk in: at-risk mask [B] and event indicator [B]."""
    b = len(TIME_BINS)
    at_risk = np.zeros(b, np.float32)
    ev = np.zeros(b, np.float32)
    lo = 0.0
    for k, hi in enumerate(TIME_BINS):
        if time_m <= lo:
            break
        if time_m <= hi:
            if event:
                at_risk[k], ev[k] = 1, 1
            elif time_m >= hi:
                at_risk[k] = 1   # censored exactly at the edge: survived the bin
            break
        at_risk[k] = 1
        lo = hi
    return at_risk, ev


@torch.no_grad()
def head_features(onnx_path: str, cases, threads: int) -> np.ndarray:
    """Softmax of the image model's heads (full input, one whole-grid forward; PyTorch with the ONNX's weights)."""
    from .infer import whole_grid
    from .onnx_weights import load_onnx_weights
    torch.set_num_threads(threads)
    task = TASKS['glioma']
    net = task.build((8, 16, 32, 64))
    load_onnx_weights(net, onnx_path)
    net.eval()
    rows = []
    for c in cases:
        _, logits, _ = whole_grid(net, c.full_image() * c.avail[:, None, None, None], c.avail)
        by = dict(zip(task.classes, logits))
        rows.append(np.concatenate([head_probs(by[h]) for h in FEATURE_HEADS]))
    return np.stack(rows).astype(np.float32)


def head_probs(z) -> np.ndarray:
    """Softmax of one head's logits (any shape, flattened): the probabilities the grafted head reads."""
    return softmax(np.asarray(z, np.float64).ravel())


def design(probs: np.ndarray, ages: np.ndarray) -> np.ndarray:
    return np.concatenate([probs, ((ages - AGE_CENTRE) / AGE_SCALE)[:, None]], 1).astype(np.float32)


def sample_outcomes(rng, entities: List[str], per_case: int, follow_up=(24.0, 150.0)):
    idx, ages, times, events = [], [], [], []
    for i, e in enumerate(entities):
        for _ in range(per_case):
            a = draw_age(rng, e)
            t, ev = draw_outcome(rng, e, a, follow_up)
            idx.append(i), ages.append(a), times.append(t), events.append(ev)
    return np.array(idx), np.array(ages, np.float32), np.array(times, np.float32), np.array(events, bool)


def fit(x: np.ndarray, times, events, l2: float = 1e-3, iters: int = 600) -> Tuple[np.ndarray, np.ndarray]:
    pp = [person_period(t, e) for t, e in zip(times, events)]
    risk = torch.from_numpy(np.stack([p[0] for p in pp]))
    ev = torch.from_numpy(np.stack([p[1] for p in pp]))
    xt = torch.from_numpy(x)
    w = torch.zeros(x.shape[1], requires_grad=True)
    a = torch.full((len(TIME_BINS),), -2.0, requires_grad=True)
    opt = torch.optim.LBFGS([w, a], lr=0.5, max_iter=iters, line_search_fn='strong_wolfe')

    def closure():
        opt.zero_grad()
        logit = a[None, :] + (xt @ w)[:, None]
        nll = torch.nn.functional.binary_cross_entropy_with_logits(logit, ev, weight=risk, reduction='sum') / risk.sum()
        loss = nll + l2 * (w ** 2).sum()
        loss.backward()
        return loss
    opt.step(closure)
    return w.detach().numpy().astype(np.float32), a.detach().numpy().astype(np.float32)


def survival_curve(x: np.ndarray, w, a) -> np.ndarray:
    """S(edge_b) for each row [n, B]."""
    h = 1 / (1 + np.exp(-(a[None, :] + (x @ w)[:, None])))
    return np.cumprod(1 - h, axis=1)


def c_index(risk: np.ndarray, times: np.ndarray, events: np.ndarray) -> float:
    """Harrell's concordance (ties in risk count one half)."""
    order = np.argsort(times)
    risk, times, events = risk[order], times[order], events[order]
    num = den = 0.0
    for i in range(len(times)):
        if not events[i]:
            continue
        later = times > times[i]
        den += later.sum()
        num += (risk[i] > risk[later]).sum() + 0.5 * (risk[i] == risk[later]).sum()
    return float(num / den) if den else float('nan')


def evaluate(x, ages, entities_idx, entity_names, times, events, w, a) -> Dict:
    s = survival_curve(x, w, a)
    k24 = TIME_BINS.index(24)
    pred = {t: s[:, TIME_BINS.index(t)] for t in REPORT_AT}
    truth = {t: np.array([true_survival(entity_names[i], ag, t) for i, ag in zip(entities_idx, ages)]) for t in REPORT_AT}
    # Uncensored test outcomes: the Brier score needs no censoring weights.
    brier = {t: float(np.mean(((times > t).astype(float) - pred[t]) ** 2)) for t in REPORT_AT}
    brier_oracle = {t: float(np.mean(((times > t).astype(float) - truth[t]) ** 2)) for t in REPORT_AT}
    by_entity = {}
    for e in sorted(set(entity_names)):
        sel = np.array([entity_names[i] == e for i in entities_idx])
        if sel.sum() < 10:
            continue
        by_entity[e] = {'n': int(sel.sum()), **{f'pred_{t}': float(pred[t][sel].mean()) for t in REPORT_AT},
                        **{f'observed_{t}': float((times[sel] > t).mean()) for t in REPORT_AT}}
    return {
        'n': int(len(times)),
        'c_index': c_index(-s[:, k24], times, events),
        'c_index_oracle': c_index(-truth[24], times, events),
        'brier': brier, 'brier_oracle': brier_oracle,
        'mean_abs_error_vs_true_curve': {t: float(np.mean(np.abs(pred[t] - truth[t]))) for t in REPORT_AT},
        'by_entity': by_entity,
    }


def tumour_cases(root: str):
    cases = [c for c in load_cases(TASKS['glioma'], root) if str(c.meta['classes'].get('tumor')) != 'none']
    return cases, [entity_of(c.meta) for c in cases]


def graft(onnx_in: str, onnx_out: str, w: np.ndarray, a: np.ndarray) -> None:
    """Adds input `age` [N,1] (years) and output `survival_hazard` [N,B] = sigmoid(alpha + [softmax(heads), age_z] w)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    m = onnx.load(onnx_in)
    g = m.graph
    if any(i.name == 'age' for i in g.input):
        raise ValueError(f'{onnx_in} already has an age input')
    g.input.append(helper.make_tensor_value_info('age', TensorProto.FLOAT, ['N', 1]))
    inits = {
        'surv_age_centre': np.array([AGE_CENTRE], np.float32), 'surv_age_scale': np.array([AGE_SCALE], np.float32),
        'surv_w': w.reshape(-1, 1).astype(np.float32), 'surv_alpha': a.reshape(1, -1).astype(np.float32),
    }
    g.initializer.extend(numpy_helper.from_array(v, k) for k, v in inits.items())
    names = []
    for h in FEATURE_HEADS:
        g.node.append(helper.make_node('Softmax', [f'{h}_logits'], [f'surv_p_{h}'], axis=1))
        names.append(f'surv_p_{h}')
    g.node.extend([
        helper.make_node('Sub', ['age', 'surv_age_centre'], ['surv_age_c']),
        helper.make_node('Div', ['surv_age_c', 'surv_age_scale'], ['surv_age_z']),
        helper.make_node('Concat', names + ['surv_age_z'], ['surv_x'], axis=1),
        helper.make_node('MatMul', ['surv_x', 'surv_w'], ['surv_lp']),
        helper.make_node('Add', ['surv_lp', 'surv_alpha'], ['surv_logit']),
        helper.make_node('Sigmoid', ['surv_logit'], ['survival_hazard']),
    ])
    g.output.append(helper.make_tensor_value_info('survival_hazard', TensorProto.FLOAT, ['N', len(TIME_BINS)]))
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, onnx_out)


def manifest_head() -> Dict:
    return {
        'id': 'survival', 'title': 'Overall survival', 'kind': 'survival', 'name': 'survival_hazard',
        'dtype': 'float32', 'shape': ['N', len(TIME_BINS)], 'timeBinsMonths': TIME_BINS, 'reportAtMonths': REPORT_AT,
        'riskGroups': {'atMonths': 24, 'groups': [{'name': 'high', 'below': 0.3}, {'name': 'intermediate', 'below': 0.7},
                                                   {'name': 'low', 'below': 1.01}]},
        'clinicalInputs': [{'quantity': 'age-years', 'name': 'age', 'dtype': 'float32', 'shape': ['N', 1], 'required': True}],
        'outcomes': 'synthetic',
        'statement': ('Trained on synthetic outcomes drawn from published population survival statistics by WHO CNS5 '
                      'entity, grade and age band. These are population figures, not a prediction for this patient. '
                      'Research use only.'),
    }


@torch.no_grad()
def verify_graft(onnx_path: str, cases, w, a) -> float:
    """The grafted graph in onnxruntime-node against PyTorch + this module's numpy head, on two whole test cases
    with different ages (every output compared). Returns the worst absolute difference."""
    from .onnx_export import run_node_verification
    from .onnx_weights import load_onnx_weights
    task = TASKS['glioma']
    net = task.build((8, 16, 32, 64))
    load_onnx_weights(net, onnx_path)
    net.eval()
    rows = []
    for c, age in zip(cases[:2], (34.0, 71.0)):
        img = np.ascontiguousarray((c.full_image() * c.avail[:, None, None, None])[None], np.float32)
        mask = c.avail[None].astype(np.float32)
        outs = [o.numpy() for o in net(torch.from_numpy(img), torch.from_numpy(mask))]
        by = dict(zip(task.classes, outs[1:]))
        x = design(np.concatenate([head_probs(by[h][0]) for h in FEATURE_HEADS])[None], np.array([age]))
        hz = 1 / (1 + np.exp(-(a[None, :] + (x @ w)[:, None])))
        expect = {'seg_logits': outs[0], **{f'{h}_logits': by[h] for h in task.classes}, 'survival_hazard': hz}
        rows.append({'name': f'{c.case_id} age {age:g}', 'inputs': {'image': img, 'modality_mask': mask,
                                                                  'age': np.array([[age]], np.float32)},
                     'outputs': expect})
    return run_node_verification(onnx_path, rows)['worstMaxAbsDiff']


CARD_BEGIN, CARD_END = '<!-- survival-head:begin -->', '<!-- survival-head:end -->'


def card_section(r: Dict, verify_diff: float) -> str:
    f3 = lambda v: f'{v:.3f}'  # noqa: E731
    gen = '\n'.join(f"| {e} | {p['median']:g} | {p['shape']:g} | {p['ref_age']} | {f3(p['S24'])} | {f3(p['S60'])} |"
                     for e, p in r['generator'].items())
    src = '\n'.join(f'| {e} | {fig} | {ref} |' for e, fig, ref in r['sources'])
    ent = '\n'.join(f"| {e} | {v['n']} | " + ' | '.join(f"{f3(v[f'pred_{t}'])} / {f3(v[f'observed_{t}'])}" for t in REPORT_AT) + ' |'
                     for e, v in r['by_entity'].items())
    brier = '\n'.join(f"| Brier score at {t} months | {f3(r['brier'][str(t)])} | {f3(r['brier_oracle'][str(t)])} |" for t in REPORT_AT)
    return f"""{CARD_BEGIN}
## Prognosis head (`survival`): synthetic outcomes, population statistics

**The outcomes this head was trained and tested on are synthetic. They are drawn from published population survival
statistics by WHO CNS5 entity, grade and age. The figures the node reports are population statistics for tumours
like the one the image model describes, not a prediction for this patient. Research use only.**

- Output `survival_hazard` [N, {len(TIME_BINS)}]: discrete-time hazards over the bins ending at {TIME_BINS} months;
  the node reports S(t) = Π (1 − h) at {REPORT_AT} months, a risk group from S(24 months) (high < 0.3 ≤ intermediate
  < 0.7 ≤ low) and, with test-time augmentation, the spread of S(t) over the augmented passes.
- Input `age` [N, 1] in years at the study date: the node reads PatientAge, else PatientBirthDate and StudyDate; without
  it the head is reported as not assessable.
- Design: h_b = sigmoid(α_b + w · x), x = the softmax of the image model's idh, 1p/19q, grade and histology heads and
  (age − {AGE_CENTRE:g}) / {AGE_SCALE:g}; the image model is unchanged (every other output identical). Fitted by maximum
  likelihood on person-period data (Singer & Willett 1993) with administrative censoring, {r['train_rows']:,} synthetic
  patients ({r['per_case']} draws of age and outcome per training study, {r['train_cases']} studies, siemens/ge;
  {r['train_events']:,} events). {r['seconds']:.0f} s CPU. Graph check: onnxruntime-node vs PyTorch + the fitted head on two
  whole cases, worst difference {verify_diff:.2e}.

Published figures the generator follows (approximate; the generator is a Weibull per entity with a hazard ratio of
{r['hr_per_decade']:g} per decade of age around the reference age):

| entity | published figure | source |
|---|---|---|
{src}

| entity (generator) | median (months) | Weibull shape | reference age | S(24 mo) | S(60 mo) |
|---|---|---|---|---|---|
{gen}

Held-out: {r['test_cases']} unseen-vendor studies (philips), {r['n']:,} synthetic patients, outcomes uncensored to
{TIME_BINS[-1]} months. The "oracle" knows the true entity, grade and age, so it is the best any head can do here.

| metric | this head | oracle |
|---|---|---|
| Harrell's C-index (risk = 1 − S(24 mo)) | {f3(r['c_index'])} | {f3(r['c_index_oracle'])} |
{brier}

Mean predicted vs observed survival by true entity (held-out):

| entity | n | """ + ' | '.join(f'S({t} mo) predicted / observed' for t in REPORT_AT) + """ |
|---|---|""" + '---|' * len(REPORT_AT) + f"""
{ent}

Limitations: the synthetic outcomes depend only on entity, grade and age, so the head can learn nothing else (no
extent of resection, treatment, MGMT, performance status); real survival models (BraTS 2018–2020 overall-survival
task, M2F, GMMAS-GPT) use real outcomes and can be plugged in through the same manifest head kind.
{CARD_END}
"""


def package(pkg: str, w, a, report: Dict, test_cases) -> None:
    """Grafts the head onto pkg/model.onnx and updates manifest.json (head, sha256) and MODEL_CARD.md (section)."""
    import re
    from .package import sha256
    onnx_path = os.path.join(pkg, 'model.onnx')
    tmp = onnx_path + '.survival.tmp'
    graft(onnx_path, tmp, w, a)
    diff = verify_graft(tmp, test_cases, w, a)
    if diff > 1e-3:
        os.remove(tmp)
        raise SystemExit(f'grafted graph disagrees with PyTorch: {diff}')
    os.replace(tmp, onnx_path)
    with open(os.path.join(pkg, 'manifest.json')) as f:
        man = json.load(f)
    man['model']['sha256'] = sha256(onnx_path)
    man['outputs']['heads'] = [h for h in man['outputs']['heads'] if h.get('kind') != 'survival'] + [manifest_head()]
    with open(os.path.join(pkg, 'manifest.json'), 'w') as f:
        json.dump(man, f, indent=2)
        f.write('\n')
    card_path = os.path.join(pkg, 'MODEL_CARD.md')
    card = open(card_path).read()
    card = re.sub(re.escape(CARD_BEGIN) + '.*?' + re.escape(CARD_END) + '\n?', '', card, flags=re.S)
    marker = '## Limitations'
    section = card_section(report, diff)
    card = card.replace(marker, section + '\n' + marker, 1) if marker in card else card + '\n' + section
    with open(card_path, 'w') as f:
        f.write(card)
    print(f'{pkg}: survival head grafted (onnxruntime-node vs PyTorch {diff:.2e}), manifest and card updated')


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--onnx', required=True, help='the image model (its heads give the features)')
    ap.add_argument('--train', nargs='+', required=True)
    ap.add_argument('--test', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--package', default='', help='graft the head onto this package (model.onnx, manifest, card)')
    ap.add_argument('--per-case', type=int, default=40)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=7)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    rng = np.random.default_rng(args.seed)
    train_cases, train_ent = [], []
    for root in args.train:
        c, e = tumour_cases(root)
        train_cases += c
        train_ent += e
    test_cases, test_ent = tumour_cases(args.test)
    fx_train = head_features(args.onnx, train_cases, args.threads)
    fx_test = head_features(args.onnx, test_cases, args.threads)
    idx, ages, times, events = sample_outcomes(rng, train_ent, args.per_case)
    w, a = fit(design(fx_train[idx], ages), times, events)
    # Test outcomes: unseen cases and vendor, no censoring (follow-up beyond the last bin).
    tidx, tages, ttimes, tevents = sample_outcomes(np.random.default_rng(args.seed + 1), test_ent, args.per_case,
                                                   follow_up=(1e9, 1e9))
    report = evaluate(design(fx_test[tidx], tages), tages, tidx, test_ent, ttimes, tevents, w, a)
    report.update({
        'train_cases': len(train_cases), 'test_cases': len(test_cases), 'per_case': args.per_case,
        'train_events': int(events.sum()), 'train_rows': int(len(times)),
        'weights': {'features': [f'{h}:{i}' for h in FEATURE_HEADS for i in range(len(TASKS['glioma'].classes[h]))] + ['age_z'],
                    'w': w.tolist(), 'alpha': a.tolist()},
        'time_bins_months': TIME_BINS, 'seconds': round(time.time() - t0, 1),
        'generator': {e: {**p, 'S24': true_survival(e, p['ref_age'], 24), 'S60': true_survival(e, p['ref_age'], 60)}
                      for e, p in OUTCOME_MODEL.items()},
        'hr_per_decade': HR_PER_DECADE, 'sources': SOURCES,
    })
    with open(os.path.join(args.out, 'survival.json'), 'w') as f:
        json.dump(report, f, indent=1)
    print(json.dumps({k: report[k] for k in ('c_index', 'c_index_oracle', 'brier', 'brier_oracle', 'seconds')}))
    if args.package:
        package(args.package, w, a, json.loads(json.dumps(report)), test_cases)


if __name__ == '__main__':
    main()
