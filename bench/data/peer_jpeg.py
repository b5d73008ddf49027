#!/usr/bin/python3
"""Peer of BM_JpegDecodeResize: Pillow opens each JPEG, converts to RGB and
resizes it to SIZExSIZE (bilinear, antialiased as Pillow does), giving a
uint8 HWC array. With --draft, Pillow's JPEG draft mode (libjpeg DCT
scaling) is used first, as a speed-minded Pillow user would. Prints one JSON
line with images per second (best of the repeats)."""
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
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for path in files:
            with Image.open(path) as image:
                if args.draft:
                    image.draft("RGB", size)
                array = numpy.asarray(image.convert("RGB").resize(size, Image.BILINEAR))
        times.append(time.perf_counter() - start)
        assert array.shape == (args.size, args.size, 3)
    best = min(times)
    print(json.dumps({"peer": "Pillow" + (" draft" if args.draft else ""), "pillow": PIL.__version__,
                      "size": args.size, "images": len(files), "best_s": best,
                      "images_per_s": len(files) / best}))


if __name__ == "__main__":
    main()
