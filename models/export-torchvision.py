# Exports torchvision's ResNet-18 with ImageNet weights to ONNX plus a fieldeye model card (run where PyTorch can download weights).
"""Export torchvision's ResNet-18 to ONNX for fieldeye, with its model card.

    python3 models/export-torchvision.py --out models/resnet18-imagenet.onnx

writes models/resnet18-imagenet.onnx and models/resnet18-imagenet.card.json (and
imagenet-labels.txt next to them if it is not there yet). The graph matches the one fieldeye
synthesises: input "input" float32 [N,3,224,224] (N dynamic), output "logits" [N,1000], opset 17,
BatchNormalization kept as explicit nodes (onnxruntime folds them at load) and initializers named
after torchvision's state_dict keys, so the quantizer and the PyTorch parity script treat both the
same way.

Weights: IMAGENET1K_V1 from torchvision's download (cached under ~/.cache/torch), or a local
state_dict with --state-dict FILE (for machines without internet). --no-weights exports the
untrained architecture (weights=None) and downloads nothing: it checks the export pipeline only;
its random initialisation comes from torch.manual_seed(--seed, default 0), so the same seed, torch
and torchvision give the same weights and the same .onnx bytes (CI compares them with PyTorch).

Needs torch and torchvision (Debian 12: apt-get install -y python3-torchvision python3-onnx) and
onnx for the model check.
"""
import argparse
import datetime
import hashlib
import json
import os
import sys

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
OPSET = 17


def fail(msg):
    print(f"export-torchvision: {msg}", file=sys.stderr)
    sys.exit(2)


def undo_initializer_dedup(proto):
    """Give every parameter its own initializer again; returns True if the graph changed.

    torch.onnx merges initializers with equal contents (in an untrained model every BatchNorm of one
    width has the same weight, bias, mean and var) and feeds the copies through Identity nodes.
    fieldeye's tools look parameters up by their state_dict names, so the copies are restored.
    """
    graph = proto.graph
    inits = {t.name: t for t in graph.initializer}
    kept = []
    changed = False
    for node in graph.node:
        if node.op_type == "Identity" and node.input[0] in inits and node.output[0] not in inits:
            import onnx
            copy = onnx.TensorProto()
            copy.CopyFrom(inits[node.input[0]])
            copy.name = node.output[0]
            graph.initializer.append(copy)
            inits[copy.name] = copy
            changed = True
        else:
            kept.append(node)
    if changed:
        del graph.node[:]
        graph.node.extend(kept)
        used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
        unused = [t for t in graph.initializer if t.name not in used]
        for t in unused:
            graph.initializer.remove(t)
    return changed


def main():
    ap = argparse.ArgumentParser(description="Export torchvision ResNet-18 to ONNX with a fieldeye model card")
    ap.add_argument("--out", default="models/resnet18-imagenet.onnx", help="output .onnx path (the card goes next to it)")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--no-weights", action="store_true", help="export the untrained architecture (weights=None); downloads nothing")
    src.add_argument("--state-dict", metavar="FILE", help="load weights from a local torchvision resnet18 state_dict (.pth) instead of downloading")
    ap.add_argument("--seed", type=int, default=0, help="seed for the random initialisation of --no-weights (default 0)")
    args = ap.parse_args()

    try:
        import torch
        import torchvision
        from torchvision.models import ResNet18_Weights, resnet18
    except ImportError as e:
        fail(f"{e}; install PyTorch and torchvision (Debian: apt-get install -y python3-torchvision)")

    if not args.out.endswith(".onnx"):
        fail(f"--out must end in .onnx (received {args.out}); the card is written as <name>.card.json next to it")
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)

    categories = None
    if args.no_weights:
        # torchvision draws the init from torch's global generator: seed it, or every export differs.
        torch.manual_seed(args.seed)
        model = resnet18(weights=None)
        name = "resnet18-untrained"
        provenance = (f"torchvision ResNet-18 architecture, random init (weights=None, seed {args.seed}), not trained; "
                      f"exported by models/export-torchvision.py --no-weights --seed {args.seed} (torch {torch.__version__}, torchvision {torchvision.__version__})")
    elif args.state_dict:
        model = resnet18(weights=None)
        try:
            state = torch.load(args.state_dict, map_location="cpu")
        except Exception as e:
            fail(f"cannot read state_dict {args.state_dict}: {e}")
        model.load_state_dict(state)
        name = "resnet18-" + os.path.splitext(os.path.basename(args.state_dict))[0]
        provenance = (f"torchvision ResNet-18 with weights from {os.path.basename(args.state_dict)}; "
                      f"exported by models/export-torchvision.py (torch {torch.__version__}, torchvision {torchvision.__version__})")
    else:
        weights = ResNet18_Weights.IMAGENET1K_V1
        try:
            model = resnet18(weights=weights)
        except Exception as e:
            fail(f"cannot get the IMAGENET1K_V1 weights ({e}); run where the download works, pass --state-dict FILE, or --no-weights to test the export only")
        categories = list(weights.meta["categories"])
        name = "resnet18-imagenet1k-v1"
        provenance = (f"torchvision ResNet-18, IMAGENET1K_V1 weights (ImageNet-1k top-1 69.758%); "
                      f"exported by models/export-torchvision.py (torch {torch.__version__}, torchvision {torchvision.__version__})")
    model.eval()

    # PRESERVE with the model in eval mode exports inference-mode BatchNormalization nodes instead of
    # folding them into the convolutions (what EVAL does), and keeps the parameters' own names.
    dummy = torch.zeros(1, 3, 224, 224)
    with torch.no_grad():
        torch.onnx.export(
            model,
            dummy,
            args.out,
            input_names=["input"],
            output_names=["logits"],
            dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
            opset_version=OPSET,
            do_constant_folding=False,
            training=torch.onnx.TrainingMode.PRESERVE,
            export_params=True,
            keep_initializers_as_inputs=False,
        )

    try:
        import onnx
        proto = onnx.load(args.out)
        if undo_initializer_dedup(proto):
            onnx.save(proto, args.out)
        onnx.checker.check_model(proto)
        init_names = {t.name for t in proto.graph.initializer}
        expected = {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}
        if init_names != expected:
            print(f"export-torchvision: warning: initializer names differ from the state_dict keys "
                  f"(missing {sorted(expected - init_names)[:3]}, extra {sorted(init_names - expected)[:3]})", file=sys.stderr)
    except ImportError:
        print("export-torchvision: warning: python onnx is not installed, the exported model was not checked", file=sys.stderr)

    with open(args.out, "rb") as f:
        sha256 = hashlib.sha256(f.read()).hexdigest()

    labels_path = os.path.join(out_dir, "imagenet-labels.txt")
    if not os.path.exists(labels_path):
        if categories is None:
            from torchvision.models._meta import _IMAGENET_CATEGORIES
            categories = list(_IMAGENET_CATEGORIES)
        with open(labels_path, "w") as f:
            f.write("\n".join(categories) + "\n")

    now = datetime.datetime.now(datetime.timezone.utc)
    card = {
        "cardVersion": 1,
        "name": name,
        "architecture": "resnet18",
        "input": {
            "name": "input",
            "dtype": "float32",
            "layout": "NCHW",
            "shape": [-1, 3, 224, 224],
            "mean": IMAGENET_MEAN,
            "std": IMAGENET_STD,
            "resizeShorterPx": 256,
        },
        "output": {"name": "logits", "size": 1000},
        "labelsFile": "imagenet-labels.txt",
        "precision": "fp32",
        "sha256": sha256,
        "parameters": sum(p.numel() for p in model.parameters()),
        "provenance": provenance,
        "createdAt": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
    }
    card_path = args.out[: -len(".onnx")] + ".card.json"
    with open(card_path, "w") as f:
        f.write(json.dumps(card, indent=2) + "\n")
    print(f"wrote {args.out} (sha256 {sha256}) and {card_path}")


if __name__ == "__main__":
    main()
