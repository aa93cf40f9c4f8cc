#!/usr/bin/python3
# The PyTorch peer for `npm run bench`: FX static int8 quantization (onednn engine) of the same ResNet-18 weights, calibrated on the same frames; prints JSON (SQNR vs FP32 on held-out frames, batch-1 latency).
#
# Usage: /usr/bin/python3 bench/torch-peer.py MODEL.onnx CALIBRATION_DIR HELD_OUT_DIR [--threads 1,2] [--seconds 3]
# Needs Debian's python3-torch, python3-torchvision, python3-onnx, python3-pil. The ONNX initializers carry
# torchvision state_dict names (fieldeye's builder and models/export-torchvision.py both keep them), so the
# weights load straight into torchvision.models.resnet18. Preprocessing is torchvision's Resize(256) +
# CenterCrop(224) + ImageNet normalisation, which fieldeye's `exact` mode reproduces bit for bit.
import argparse
import json
import math
import os
import sys
import time

import onnx
import torch
import torchvision
from onnx import numpy_helper
from PIL import Image
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

EXTS = ('.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff')


def frames(folder):
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(EXTS))
    tf = torchvision.transforms.Compose([
        torchvision.transforms.Resize(256),
        torchvision.transforms.CenterCrop(224),
        torchvision.transforms.ToTensor(),
        torchvision.transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    return [tf(Image.open(os.path.join(folder, n)).convert('RGB')).unsqueeze(0) for n in names]


def compare(ref, got):
    signal = sum(float((r ** 2).sum()) for r in ref)
    noise = sum(float(((r - g) ** 2).sum()) for r, g in zip(ref, got))
    top1 = sum(int(r.argmax() == g.argmax()) for r, g in zip(ref, got))
    top5 = sum(len(set(r.topk(5).indices[0].tolist()) & set(g.topk(5).indices[0].tolist())) / 5 for r, g in zip(ref, got))
    cos = sum(float(torch.nn.functional.cosine_similarity(r, g).item()) for r, g in zip(ref, got))
    n = len(ref)
    return {'frames': n, 'sqnrDb': 10 * math.log10(signal / noise) if noise > 0 else 200.0, 'cosine': cos / n,
            'top1Agreement': top1 / n, 'top5Overlap': top5 / n}


def latency(model, x, threads, seconds):
    torch.set_num_threads(threads)
    with torch.no_grad():
        for _ in range(15):
            model(x)
        times = []
        start = time.perf_counter()
        while len(times) < 50 or time.perf_counter() - start < seconds:
            t0 = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t0) * 1000)
    s = sorted(times)
    q = lambda p: s[min(len(s) - 1, math.ceil(p * len(s)) - 1)]
    return {'threads': threads, 'runs': len(s), 'p50Ms': q(0.5), 'p90Ms': q(0.9), 'p99Ms': q(0.99), 'meanMs': sum(s) / len(s), 'fps': 1000 * len(s) / sum(s)}


def load_torchvision_resnet18(model_path):
    """torchvision's resnet18 (eval mode) with the weights of a fieldeye ONNX model, matched by state_dict name."""
    state = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in onnx.load(model_path).graph.initializer}
    model = torchvision.models.resnet18(weights=None)
    missing, _unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith('num_batches_tracked')]
    if missing:
        sys.exit(f'torch-peer: {model_path} lacks torchvision resnet18 weights {missing[:3]}...; it must keep state_dict names')
    return model.eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model')
    ap.add_argument('calibration')
    ap.add_argument('held_out')
    ap.add_argument('--threads', default='1,2')
    ap.add_argument('--seconds', type=float, default=3)
    a = ap.parse_args()

    torch.backends.quantized.engine = 'onednn'
    fp32 = load_torchvision_resnet18(a.model)

    calib = frames(a.calibration)
    held = frames(a.held_out)
    t0 = time.perf_counter()
    prepared = prepare_fx(fp32, get_default_qconfig_mapping('onednn'), example_inputs=(calib[0],))
    with torch.no_grad():
        for x in calib:
            prepared(x)
    int8 = convert_fx(prepared)
    quantize_s = time.perf_counter() - t0
    with torch.no_grad():
        ref = [fp32(x) for x in held]
        got = [int8(x) for x in held]
    threads = [int(t) for t in a.threads.split(',')]
    out = {
        'torch': torch.__version__, 'torchvision': torchvision.__version__, 'engine': torch.backends.quantized.engine,
        'method': 'FX static, get_default_qconfig_mapping("onednn") (HistogramObserver activations, per-channel symmetric weights)',
        'calibrationFrames': len(calib), 'quantizeSeconds': quantize_s,
        'accuracy': compare(ref, got),
        'latency': {'fp32': [latency(fp32, held[0], t, a.seconds) for t in threads], 'int8': [latency(int8, held[0], t, a.seconds) for t in threads]},
    }
    json.dump(out, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
