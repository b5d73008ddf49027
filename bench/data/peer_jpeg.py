#!/usr/bin/python3
"""Peer of BM_JpegDecodeResize: Pillow opens each JPEG, converts to RGB and
resizes it to SIZExSIZE (bilinear, antialiased as Pillow does), giving a
uint8 HWC array. With --draft, Pillow's JPEG draft mode (libjpeg DCT
scaling) is used first, as a speed-minded Pillow user would. Prints one JSON
line with images per second of wall and of CPU time (best of the repeats)."""
import argparse
import glob
import json
import os
import time

import numpy
import PIL
from PIL import Image


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--draft", action="store_true")
    args = parser.parse_args()
    files = sorted(glob.glob(os.path.join(args.folder, "*.jpg")))
    size = (args.size, args.size)
    times, cpu_times = [], []
    for _ in range(args.repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        for path in files:
            with Image.open(path) as image:
                if args.draft:
                    image.draft("RGB", size)
                array = numpy.asarray(image.convert("RGB").resize(size, Image.BILINEAR))
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        assert array.shape == (args.size, args.size, 3)
    best = min(times)
    print(json.dumps({"peer": "Pillow" + (" draft" if args.draft else ""), "pillow": PIL.__version__,
                      "size": args.size, "images": len(files), "best_s": best,
                      "images_per_s": len(files) / best,
                      "best_cpu_s": min(cpu_times), "images_per_cpu_s": len(files) / min(cpu_times)}))


if __name__ == "__main__":
    main()
