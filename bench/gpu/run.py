#!/usr/bin/env python3
"""tench's inference path on a GPU machine that has Python and PyTorch but no Node and no browser.

    python3 run.py            # on an NVIDIA machine: tench on WebGPU against PyTorch fp16 on CUDA
    python3 run.py --local    # anywhere: PyTorch on the CPU, tench on WebGPU if Dawn finds an
                              # adapter, else on ONNX Runtime Web's WASM provider, small model

Lies in the carry that `npm run bench:gpu` builds, beside manifest.json. It unpacks the carry
(Node, Dawn's Node binding, ONNX Runtime Web, tench's bundle), builds ViT-B/16 in PyTorch with the
project's fixture code (seeded random weights, or google/vit-base-patch16-224's own where a local
Hugging Face cache holds them) and exports it in the Hub's layout, times PyTorch, then times tench's
bundle under the carried Node on the same inputs, and compares their top-1 answers.
"""
import argparse
import contextlib
import functools
import hashlib
import inspect
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures')
VULKAN_ICD_DIRS = ('/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d')
# Where NVIDIA's container runtime puts the driver's ICD file when it is not in the usual folders.
NVIDIA_ICD = '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json'


class Failure(Exception):
    """One readable sentence for the user; run.py prints it and exits 1."""


def first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--local', action='store_true', help='run without CUDA: PyTorch on the CPU, a 3-layer model, '
                    'tench on WASM where Dawn finds no adapter')
    ap.add_argument('--images', type=int, help='random images per pass (default 512; 32 with --local)')
    ap.add_argument('--batch', type=int, help='images per forward pass, for tench and PyTorch (default 64; 8 with --local)')
    ap.add_argument('--pytorch-batch', type=int, default=256, help='PyTorch is also timed at this batch (default 256; not with --local)')
    ap.add_argument('--repeats', type=int, default=3, help='timed passes over the images; the best counts (default 3)')
    ap.add_argument('--small', action='store_true', help='the 3-layer 192-pixel model of make_fixtures.py --small '
                    'instead of ViT-B/16 (the default with --local)')
    ap.add_argument('--vit-base', action='store_true', help='ViT-B/16 even with --local (slow on a CPU)')
    ap.add_argument('--work', default=os.path.join(tempfile.gettempdir(), 'tench-bench-gpu'),
                    help='where the carry is unpacked and the model written (default: %(default)s)')
    ap.add_argument('--node-timeout', type=int, default=1800, help='seconds tench\'s bundle may run (default 1800)')
    a = ap.parse_args()
    a.images = a.images if a.images is not None else (32 if a.local else 512)
    a.batch = a.batch if a.batch is not None else (8 if a.local else 64)
    a.small = (a.small or a.local) and not a.vit_base
    for name in ('images', 'batch', 'pytorch_batch', 'repeats'):
        if getattr(a, name) < 1:
            raise Failure(f'--{name.replace("_", "-")} must be at least 1')
    return a


# ---- the carry ---------------------------------------------------------------------------------

def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(functools.partial(f.read, 1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def unpack(work):
    """Every file of the manifest into `work`, xz ones decompressed; files already there and
    matching their digest are kept (a second run skips the 100 MB of Node)."""
    try:
        with open(os.path.join(HERE, 'manifest.json'), encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        raise Failure(f'{HERE} holds no readable manifest.json ({e}): build the carry with npm run bench:gpu')
    if manifest.get('version') != 1:
        raise Failure(f'the carry\'s manifest is version {manifest.get("version")}, and this run.py reads version 1')
    for entry in manifest['files']:
        src, dest = os.path.join(HERE, entry['packed']), os.path.join(work, entry['name'])
        if os.path.exists(dest) and os.path.getsize(dest) == entry['bytes'] and sha256(dest) == entry['sha256']:
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        opener = lzma.open if entry['packed'].endswith('.xz') else open
        with opener(src, 'rb') as i, open(dest + '.part', 'wb') as o:
            shutil.copyfileobj(i, o, 1 << 20)
        if sha256(dest + '.part') != entry['sha256']:
            raise Failure(f'{entry["packed"]} unpacked to other bytes than the carry was built from: copy the carry again')
        os.replace(dest + '.part', dest)
        if entry['executable']:
            os.chmod(dest, 0o755)


# ---- the model ---------------------------------------------------------------------------------

# tench's fixture ViT (test/fixtures/vit.py) and Hugging Face's ViTForImageClassification: the same
# parameters under other names. Each pair is (vit.py's, Hugging Face's).
NAME_PAIRS = [
    (r'embeddings\.projection\.', 'vit.embeddings.patch_embeddings.projection.'),
    (r'embeddings\.(cls_token|position_embeddings)', r'vit.embeddings.\1'),
    (r'layers\.(\d+)\.(query|key|value)\.', r'vit.encoder.layer.\1.attention.attention.\2.'),
    (r'layers\.(\d+)\.attention_output\.', r'vit.encoder.layer.\1.attention.output.dense.'),
    (r'layers\.(\d+)\.(layernorm_before|layernorm_after)\.', r'vit.encoder.layer.\1.\2.'),
    (r'layers\.(\d+)\.intermediate\.', r'vit.encoder.layer.\1.intermediate.dense.'),
    (r'layers\.(\d+)\.output\.', r'vit.encoder.layer.\1.output.dense.'),
    (r'layernorm\.', 'vit.layernorm.'),
    (r'classifier\.', 'classifier.'),
]


def hf_name(key):
    """Hugging Face's name for one parameter of the fixture model."""
    for ours, theirs in NAME_PAIRS:
        if re.match(ours, key):
            return re.sub('^' + ours, theirs, key)
    raise Failure(f'run.py knows no Hugging Face name for the fixture model\'s parameter {key}')


def fixtures():
    """The project's fixture code (make_fixtures.py, vit.py), carried beside run.py."""
    sys.path.insert(0, FIXTURES)
    import make_fixtures
    make_fixtures.SYNSETS = os.path.join(FIXTURES, 'imagenet-synsets.txt')
    return make_fixtures


def hf_vit(torch, c, labels):
    """Hugging Face's ViTForImageClassification of the fixture model's shape, or None where
    transformers is not installed (Debian has none)."""
    try:
        from transformers import ViTConfig as HFConfig, ViTForImageClassification as HFViT
    except ImportError:
        return None
    config = HFConfig(image_size=c.image_size, patch_size=c.patch_size, hidden_size=c.hidden_size,
                      num_hidden_layers=c.num_hidden_layers, num_attention_heads=c.num_attention_heads,
                      intermediate_size=c.intermediate_size, layer_norm_eps=c.layer_norm_eps, hidden_act='gelu',
                      id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})
    return HFViT(config).eval()


def real_weights(torch, mf, c):
    """google/vit-base-patch16-224's weights in the fixture model, where a local Hugging Face cache
    has them (nothing is downloaded), else None."""
    try:
        from transformers import ViTForImageClassification as HFViT
        hf = HFViT.from_pretrained('google/vit-base-patch16-224', local_files_only=True)
    except Exception:  # not installed, or not cached: the seeded random weights serve
        return None
    try:
        model = mf.ViTForImageClassification(c).eval()
        theirs = hf.state_dict()
        model.load_state_dict({k: theirs[hf_name(k)] for k in model.state_dict()}, strict=True)
        return model
    except Exception as e:
        print(f'model: google/vit-base-patch16-224 is cached here but its weights did not fit the fixture model '
              f'({first_line(e)}); using seeded random weights')
        return None


@contextlib.contextmanager
def torchscript_export(torch):
    """PyTorch 2.9 and later export through torch.export (dynamo) by default, which needs
    onnxscript and handles dynamic_axes only in part; make_fixtures.py's call wants the
    TorchScript exporter it was written for."""
    export = torch.onnx.export
    if 'dynamo' in inspect.signature(export).parameters:
        torch.onnx.export = functools.partial(export, dynamo=False)
    try:
        yield
    finally:
        torch.onnx.export = export


def export(torch, mf, out, c, name):
    """make_fixtures.py's model folder, through the TorchScript exporter where this PyTorch still
    has it, else through its default one."""
    try:
        with torchscript_export(torch):
            return mf.write_model_folder(out, c, mf.vit_processor(c.image_size), mf.SEED, name)
    except Exception as e:
        if 'dynamo' not in inspect.signature(torch.onnx.export).parameters:
            raise
        print(f'model: the TorchScript exporter failed ({first_line(e)}); trying PyTorch\'s default exporter')
        return mf.write_model_folder(out, c, mf.vit_processor(c.image_size), mf.SEED, name)


def make_model(torch, a, models):
    """The model folder (Hub layout) tench reads, and the same model in PyTorch."""
    mf = fixtures()
    if a.small:
        # make_fixtures.py --small's shape: 3 layers, 192 pixels.
        c = mf.ViTConfig(image_size=192, hidden_size=64, num_hidden_layers=3, num_attention_heads=2, intermediate_size=256)
        name, what = 'tench-small-vit', 'small ViT (3 layers, 192 px)'
    else:
        c = mf.ViTConfig()  # google/vit-base-patch16-224's shapes
        name, what = 'vit-base-patch16-224', 'ViT-B/16'
    real = None if a.small else real_weights(torch, mf, c)
    build = mf.build_model
    if real is not None:
        mf.build_model = lambda config, seed: real
    started = time.time()
    try:
        model, labels = export(torch, mf, os.path.join(models, name), c, name)
    except Exception as e:
        raise Failure(f'exporting the {what} to ONNX failed: {first_line(e)}')
    finally:
        mf.build_model = build
    weights = 'google/vit-base-patch16-224\'s weights (local cache)' if real is not None else f'seeded random weights (seed {mf.SEED})'
    print(f'model: {what}, {weights}, exported to {os.path.join(models, name)} in {time.time() - started:.1f} s')
    return name, what, model, labels, c


# ---- PyTorch -----------------------------------------------------------------------------------

def argmax_all(torch, model, x, batch, device, dtype):
    out = []
    with torch.inference_mode():
        for i in range(0, len(x), batch):
            out.append(model(x[i:i + batch].to(device, dtype)).float().argmax(-1).cpu())
    return torch.cat(out).tolist()


def images_per_second(torch, model, x, batch, device, dtype, repeats):
    """Host to host, as tench's numbers are: each batch goes from CPU memory to the device and its
    logits come back. A few warm-up batches first (cuDNN's and the allocator's first calls); then
    `repeats` passes over the images, the best one counting."""
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    with torch.inference_mode():
        for _ in range(3):
            model(x[:batch].to(device, dtype)).cpu()
        best = float('inf')
        for _ in range(repeats):
            sync()
            start = time.perf_counter()
            for i in range(0, len(x), batch):
                model(x[i:i + batch].to(device, dtype)).float().cpu()
            sync()
            best = min(best, time.perf_counter() - start)
    return len(x) / best


def same_in_transformers(torch, model, c, labels, x, device):
    """The fixture model's weights in transformers' ViTForImageClassification (its fused attention:
    the PyTorch a user would run), checked against the fixture model; None where transformers is
    missing or the two disagree."""
    hf = hf_vit(torch, c, labels)
    if hf is None:
        return None
    try:
        hf.load_state_dict({hf_name(k): v for k, v in model.state_dict().items()}, strict=True)
        hf = hf.to(device)
        with torch.inference_mode():
            ours = model(x[:4].to(device))
            diff = (hf(x[:4].to(device)).logits - ours).abs().max().item()
    except Exception as e:
        print(f'pytorch: transformers\' ViT did not take the fixture model\'s weights ({first_line(e)}); timing the fixture model')
        return None
    attention = getattr(hf.config, '_attn_implementation', None) or 'default'
    if not diff <= 1e-3 * max(1.0, ours.abs().max().item()):
        print(f'pytorch: transformers\' ViT ({attention} attention) answers other logits than the fixture model '
              f'(max difference {diff:.3g}); timing the fixture model')
        return None
    print(f'pytorch: transformers\' ViTForImageClassification ({attention} attention) with the same weights, '
          f'max |logit difference| from the fixture model {diff:.2g}')
    return hf


def pytorch(torch, a, model, labels, c, x, device):
    """The reference answers (fp32) and PyTorch's speed: fp16 on CUDA, fp32 on a CPU."""
    if device.type == 'cuda':
        # The reference is true fp32: no TF32 in matmuls or convolutions.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    model = model.to(device)
    ref = argmax_all(torch, model, x, a.batch, device, torch.float32)
    rates = []
    hf = same_in_transformers(torch, model, c, labels, x, device)
    if hf is not None:
        runner = lambda inputs: hf(pixel_values=inputs).logits  # noqa: E731
        source = 'transformers'
    else:
        runner, source = model, 'fixture vit.py'
    if device.type == 'cuda':
        half = (hf if hf is not None else model).half()
        run = (lambda inputs: half(pixel_values=inputs).logits) if hf is not None else half  # noqa: E731
        fp16 = argmax_all(torch, run, x, a.batch, device, torch.float16)
        agree = sum(p == q for p, q in zip(fp16, ref))
        print(f'pytorch fp16 vs fp32 top-1 agreement: {agree}/{len(ref)} ({100 * agree / len(ref):.1f}%)')
        for b in dict.fromkeys([a.batch, a.pytorch_batch]):
            rate = images_per_second(torch, run, x, b, device, torch.float16, a.repeats)
            rates.append((b, 'fp16', rate))
            print(f'pytorch fp16 cuda ({source}) batch {b}: {rate:.1f} images/s')
    else:
        rate = images_per_second(torch, runner, x, a.batch, device, torch.float32, a.repeats)
        rates.append((a.batch, 'fp32', rate))
        print(f'pytorch fp32 cpu ({source}, {torch.get_num_threads()} thread{"s" if torch.get_num_threads() > 1 else ""}) '
              f'batch {a.batch}: {rate:.1f} images/s')
    return ref, rates, source


# ---- tench under the carried Node --------------------------------------------------------------

def node_env(work):
    """Vulkan for Dawn: the carried loader where the machine has none, and NVIDIA's driver file
    where it is only in the folder NVIDIA's container runtime uses."""
    import ctypes.util
    env = dict(os.environ)
    if ctypes.util.find_library('vulkan') is None and os.path.exists(os.path.join(work, 'vulkan', 'libvulkan.so.1')):
        env['LD_LIBRARY_PATH'] = os.pathsep.join(filter(None, [os.path.join(work, 'vulkan'), env.get('LD_LIBRARY_PATH')]))
    icds = [f for d in VULKAN_ICD_DIRS if os.path.isdir(d) for f in os.listdir(d) if f.endswith('.json')]
    if 'VK_DRIVER_FILES' not in env and not any('nvidia' in f for f in icds) and os.path.exists(NVIDIA_ICD):
        env['VK_DRIVER_FILES'] = NVIDIA_ICD
    return env


def dawn_said(stderr):
    """Dawn's own words from its stderr ('Warning: ...' lines with a source location after them)."""
    said = [m.group(1).strip() for m in re.finditer(r'^(?:Warning|Error): (.+)$', stderr, re.M)]
    return '; '.join(dict.fromkeys(said))


def run_tench(work, models, name, inputs, a, device):
    """tench's bundle on `device`; returns (result dict, None) or (None, the reason it gave)."""
    top1 = os.path.join(work, f'top1-{device}.json')
    cmd = [os.path.join(work, 'node'), os.path.join(work, 'tench-bench.mjs'), '--models', models, '--model', name,
           '--inputs', inputs, '--images', str(a.images), '--batch', str(a.batch), '--device', device,
           '--repeats', str(a.repeats), '--top1', top1]
    with tempfile.TemporaryFile('w+') as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=node_env(work))
        timer = threading.Timer(a.node_timeout, proc.kill)
        timer.start()
        result = None
        for line in proc.stdout:
            if line.startswith('tench-result '):
                result = json.loads(line[len('tench-result '):])
                break
            print(f'  node: {line.rstrip()}')
        # Node's exit waits on V8's teardown of ONNX Runtime's 27 MB WebAssembly module, minutes on
        # a busy machine; the answer is in by now, so end the process instead of waiting.
        try:
            proc.wait(timeout=5 if result else None)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        timer.cancel()
        err.seek(0)
        stderr = err.read()
    if result is None:
        said = [l[len('tench bench: '):] for l in stderr.splitlines() if l.startswith('tench bench: ')]
        reason = said[-1] if said else (stderr.strip().splitlines() or [f'exit status {proc.returncode}'])[-1]
        dawn = dawn_said(stderr)
        return None, f'{reason}{f" ({dawn})" if dawn else ""}'
    with open(top1, encoding='utf-8') as f:
        result['top1'] = json.load(f)
    return result, None


def tench(work, models, name, inputs, a):
    """WebGPU; with --local, ONNX Runtime Web's WASM provider where Dawn finds no adapter."""
    result, reason = run_tench(work, models, name, inputs, a, 'webgpu')
    if result is not None:
        kind = 'a software (fallback) adapter' if result.get('fallbackAdapter') else 'the adapter'
        print(f'webgpu: Dawn gave {kind} {result["adapter"]}')
        return result
    if not a.local:
        raise Failure(f'tench could not run on WebGPU here: {reason}')
    print(f'webgpu: not here: {reason}; tench\'s bundle runs on ONNX Runtime Web\'s WASM provider instead')
    result, reason = run_tench(work, models, name, inputs, a, 'wasm')
    if result is None:
        raise Failure(f'tench\'s bundle failed on WASM too: {reason}')
    return result


# ---- the run -----------------------------------------------------------------------------------

def import_torch(local):
    try:
        import torch
    except ImportError as e:
        raise Failure(f'this Python ({sys.executable}) cannot import PyTorch ({e}); run.py needs it for the baseline and the model')
    if not local and not torch.cuda.is_available():
        raise Failure(f'PyTorch {torch.__version__} sees no CUDA device here; run this on an NVIDIA machine, or pass --local to run on the CPU')
    return torch


def main():
    a = parse_args()
    torch = import_torch(a.local)
    device = torch.device('cpu' if a.local else 'cuda')
    if a.local:
        # One thread, as tench's WASM provider runs under Node: like for like.
        torch.set_num_threads(1)
    os.makedirs(a.work, exist_ok=True)
    started = time.time()
    unpack(a.work)
    print(f'carry unpacked into {a.work} in {time.time() - started:.1f} s')
    models = os.path.join(a.work, 'models')
    name, what, model, labels, c = make_model(torch, a, models)
    # Normalized pixels lie in [-1, 1] with this processor's mean and std of 0.5.
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(a.images, 3, c.image_size, c.image_size, generator=gen) * 2 - 1
    inputs = os.path.join(a.work, 'inputs.f32')
    x.numpy().astype('<f4').tofile(inputs)
    if device.type == 'cuda':
        print(f'pytorch {torch.__version__} on {torch.cuda.get_device_name(0)}')
    ref, rates, source = pytorch(torch, a, model, labels, c, x, device)
    result = tench(a.work, models, name, inputs, a)
    report(a, what, result, ref, rates, device)


def report(a, what, result, ref, rates, device):
    fitted = f', fitted to {result["fitted"]} after running out of memory' if result.get('fitted') else ''
    line = (f'{result["device"]} tench {what} fp32 batch {a.batch}: {result["imagesPerSecond"]:.1f} images/s '
            f'(best of {result["repeats"]} passes over {result["images"]} images; load {result["loadMs"] / 1000:.1f} s, '
            f'first batch {result["warmupMs"] / 1000:.1f} s{fitted})')
    print(line)
    same = next((r for r in rates if r[0] == a.batch), rates[0])
    batch, dtype, rate = same
    print(f'{result["device"]} tench {what} fp32 batch {a.batch}: {result["imagesPerSecond"]:.1f} images/s; '
          f'pytorch {dtype} {device.type} batch {batch}: {rate:.1f} images/s '
          f'(tench at {result["imagesPerSecond"] / rate:.2f}x of PyTorch)')
    top1 = result['top1']
    agree = sum(p == q for p, q in zip(top1, ref))
    print(f'top-1 agreement, tench ({result["device"]}, fp32) vs pytorch fp32: {agree}/{len(ref)} ({100 * agree / len(ref):.1f}%)')


if __name__ == '__main__':
    try:
        main()
    except Failure as e:
        print(f'run.py: {e}', file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
