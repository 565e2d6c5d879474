"""segno in a Python loop: one PNG per non-empty line, named by line number like `vaxticket qr`.

Usage: segno_encode.py TEXTS_FILE OUT_DIR MODULE_PX
ECC Q exactly (boost_error off, so segno does not raise the level), quiet zone 4 modules,
regular QR codes only (no Micro QR). segno picks the alphanumeric mode by itself.
"""

import os
import sys

import segno


def main():
    texts_file, out_dir, module_px = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(texts_file, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            text = line.rstrip("\r\n")
            if not text:
                continue
            code = segno.make(text, error="q", boost_error=False, micro=False)
            code.save(os.path.join(out_dir, f"{number:05d}.png"), scale=module_px, border=4)


if __name__ == "__main__":
    main()
