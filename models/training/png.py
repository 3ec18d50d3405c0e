"""A minimal PNG writer (8-bit RGB or gray, zlib) - matplotlib is not among the Debian packages
the pipeline relies on."""
from __future__ import annotations

import struct
import zlib

import numpy as np


def write_png(path: str, img: np.ndarray) -> None:
    img = np.ascontiguousarray(np.clip(img, 0, 255).astype(np.uint8))
    if img.ndim == 2:
        color, h, w = 0, *img.shape
    elif img.ndim == 3 and img.shape[2] == 3:
        color, h, w = 2, img.shape[0], img.shape[1]
    else:
        raise ValueError("expected [H, W] or [H, W, 3]")
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))   # filter 0 on every row

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))
