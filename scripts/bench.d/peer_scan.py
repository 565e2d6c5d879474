"""One peer decoder over a list of images, the way people use it from Python.

Usage: peer_scan.py DECODER LIST_FILE OUT_JSONL
  DECODER   pyzbar (zbar alone) or zxingcpp
  LIST_FILE one image path per line
  OUT_JSONL one object per image: {"file", "symbols": [{"text", "bytes"}], "error"}

Every image is loaded with PIL and converted to 8-bit grayscale ('L') once; the decoder gets
exactly those pixels, so every Python peer sees the same input. The loop time (PIL loading
included, interpreter start and imports excluded) is written to stderr as `loop_seconds=...`.
"""

import base64
import json
import sys
import time

from PIL import Image


def make_decoder(name):
    if name == "pyzbar":
        from pyzbar.pyzbar import ZBarSymbol, decode

        def read(gray):
            return [(None, s.data) for s in decode(gray, symbols=[ZBarSymbol.QRCODE])]

        return read
    if name == "zxingcpp":
        import zxingcpp

        qr = zxingcpp.BarcodeFormat.QRCode

        def read(gray):
            return [(r.text, bytes(r.bytes)) for r in zxingcpp.read_barcodes(gray, formats=qr)]

        return read
    raise SystemExit(f"peer_scan: unknown decoder {name!r}")


def main():
    name, list_file, out_file = sys.argv[1:4]
    read = make_decoder(name)
    with open(list_file, encoding="utf-8") as f:
        paths = [line.rstrip("\n") for line in f if line.strip()]
    rows = []
    start = time.perf_counter()
    for path in paths:
        try:
            with Image.open(path) as image:
                gray = image.convert("L")
            symbols = read(gray)
            rows.append((path, symbols, None))
        except Exception as error:  # a peer failing on one image must not stop the loop
            rows.append((path, [], str(error)))
    loop_seconds = time.perf_counter() - start
    with open(out_file, "w", encoding="utf-8") as out:
        for path, symbols, error in rows:
            out.write(json.dumps({
                "file": path,
                "symbols": [{"text": text, "bytes": base64.b64encode(data).decode()} for text, data in symbols],
                "error": error,
            }) + "\n")
    print(f"loop_seconds={loop_seconds:.6f}", file=sys.stderr)


if __name__ == "__main__":
    main()
