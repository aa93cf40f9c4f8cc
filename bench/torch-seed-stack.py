#!/usr/bin/python3
# The seed stack for `npm run bench`: what a ResNet-18 service is before fieldeye (PyTorch eager torchvision ResNet-18, PIL preprocessing, one frame at a time) over the same frames, model weights and thread count; prints JSON.
#
# Usage: /usr/bin/python3 bench/torch-seed-stack.py MODEL.onnx FRAMES_DIR [--threads N] [--loop N]
# Needs Debian's python3-torch, python3-torchvision, python3-onnx, python3-pil. Each frame is read from disk,
# decoded by PIL, resized and cropped by torchvision's transforms, classified, and its top-5 taken: the same work
# per frame as fieldeye's pipeline, minus geotagging and publishing.
import argparse
import importlib.util
import json
import os
import sys
import time

import torch
import torchvision
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
# bench/torch-peer.py holds the ONNX-to-torchvision weight loading; its file name is not importable by name.
_spec = importlib.util.spec_from_file_location('torch_peer', os.path.join(HERE, 'torch-peer.py'))
torch_peer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(torch_peer)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model')
    ap.add_argument('frames')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--loop', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = torch_peer.load_torchvision_resnet18(a.model)
    names = sorted(n for n in os.listdir(a.frames) if n.lower().endswith(torch_peer.EXTS))
    if not names:
        sys.exit(f'torch-seed-stack: no images in {a.frames}')
    tf = torchvision.transforms.Compose([
        torchvision.transforms.Resize(256),
        torchvision.transforms.CenterCrop(224),
        torchvision.transforms.ToTensor(),
        torchvision.transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])

    def classify(name):
        x = tf(Image.open(os.path.join(a.frames, name)).convert('RGB')).unsqueeze(0)
        return torch.nn.functional.softmax(model(x), dim=1).topk(5)

    with torch.no_grad():
        for name in names[:5]:
            classify(name)
        t0 = time.perf_counter()
        n = 0
        for _ in range(a.loop):
            for name in names:
                classify(name)
                n += 1
        seconds = time.perf_counter() - t0
    json.dump({'torch': torch.__version__, 'torchvision': torchvision.__version__, 'threads': a.threads, 'frames': n,
               'seconds': seconds, 'fps': n / seconds}, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
