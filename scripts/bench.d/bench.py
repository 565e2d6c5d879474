"""The benchmark driver behind scripts/bench: runs every section, writes a results JSON file
that report.py turns into the table and docs/benchmarks.md.

Usage: bench.py --repo DIR --work DIR --bin VAXTICKET --cref QR_PNG_REFERENCE --results FILE
                [--quick] [--photos DIR] [--only SECTION,...]

Each section is independent: a failing peer or a missing command is recorded as "not measured:
<reason>" and the other sections still run. Timings are wall clock of whole processes; the tools
compared run in rounds (each tool once per round), and each keeps its best run, so all of them
see the same machine load. The CPU time (user + system) of the same run is kept too, so "all
cores" claims can be checked. Ratios are computed from figures of this run only.
"""

import argparse
import base64
import glob
import json
import os
import random
import re
import resource
import shlex
import shutil
import subprocess
import sys
import time
import traceback

BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
KINDS = ["rotation", "perspective", "blur", "noise", "light", "contrast", "jpeg", "small", "mixed", "combined"]
# Issue 22's fresh sets (photo_sets.py), drawn from a seed that changes every run: the reader's
# rule for how much work a photo gets was chosen on the real photos, the simulated set above and
# the kinds marked "chose", and checked on the kinds marked "checked", which it never saw. The
# pass that reads the rest of a photo's codes once it has read two was made by looking at the
# several kind's misses on other seeds (docs/benchmarks.md); it sets no threshold of its own.
FRESH_ROLES = {"motion": "chose", "jpeg-chroma": "chose", "glare": "chose", "small-in-frame": "chose",
               "no-code": "chose", "defocus": "checked", "screen": "checked", "curved": "checked",
               "several": "checked"}
# "before" is the reader this branch started from (BENCH_BASELINE_BIN), "high" ours at
# --effort high; both are measured only when available.
DECODERS = ["vaxticket", "before", "high", "pyzbar", "zbarimg", "zxingcpp"]
OURS = ("vaxticket", "before", "high")


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


class CommandFailed(Exception):
    pass


class Runner:
    """Runs and times whole processes."""

    def __init__(self, runs):
        self.runs = runs

    def once(self, cmd, ok_codes=(0,), prepare=None, stdout=None):
        """One timed run: {"wall", "cpu", "stderr"}; CPU is user + system of the child."""
        if prepare:
            prepare()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        out = open(stdout, "wb") if stdout else subprocess.DEVNULL
        try:
            proc = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE)
        finally:
            if stdout:
                out.close()
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if proc.returncode not in ok_codes:
            shown = " ".join(shlex.quote(str(c)) for c in cmd)
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
            raise CommandFailed(f"exit {proc.returncode}: {shown[:200]}: {' | '.join(tail)}")
        return {"wall": wall, "cpu": cpu, "stderr": proc.stderr.decode("utf-8", "replace")}

    def parallel_once(self, cmds, prepare=None):
        """Several processes at once (one per core), timed together."""
        if prepare:
            prepare()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in cmds]
        errors = [(p, p.communicate()[1]) for p in procs]
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        for p, err in errors:
            if p.returncode != 0:
                raise CommandFailed(f"exit {p.returncode}: {p.args[0]}: {err.decode('utf-8', 'replace')[-300:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return {"wall": wall, "cpu": cpu, "stderr": ""}

    def rounds(self, tasks, runs=None):
        """Runs every task once per round, round after round, so that every tool sees the same
        machine load; keeps each task's best run. tasks: {name: fn() -> once()-like dict}.
        Returns ({name: best dict with "walls"}, {name: failure message})."""
        best, failed, walls = {}, {}, {}
        for _ in range(runs or self.runs):
            for name, fn in tasks.items():
                if name in failed:
                    continue
                try:
                    r = fn()
                except Exception as error:
                    failed[name] = str(error)
                    continue
                walls.setdefault(name, []).append(r["wall"])
                if name not in best or r["wall"] < best[name]["wall"]:
                    best[name] = r
        for name, r in best.items():
            r["walls"] = walls[name]
        return best, failed


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def split_lines(texts_file, parts, out_prefix):
    with open(texts_file, encoding="utf-8") as f:
        lines = f.read().splitlines()
    chunk = (len(lines) + parts - 1) // parts
    paths = []
    for k in range(parts):
        path = f"{out_prefix}.{k}"
        with open(path, "w", encoding="utf-8") as out:
            out.write("\n".join(lines[k * chunk:(k + 1) * chunk]) + "\n")
        paths.append(path)
    return paths


def text_candidates(symbol):
    """Every reasonable reading of a peer's symbol as text: its own text, and its bytes as UTF-8,
    Shift-JIS or Latin-1. Peers are counted as reading an image when any of these matches."""
    found = set()
    if symbol.get("text") is not None:
        found.add(symbol["text"])
    data = base64.b64decode(symbol.get("bytes") or "")
    for codec in ("utf-8", "shift_jis", "latin-1"):
        try:
            found.add(data.decode(codec))
        except (UnicodeDecodeError, LookupError):
            pass
    return found


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.repo = args.repo
        self.work = args.work
        self.bin = args.bin
        self.cref = args.cref
        self.py = sys.executable
        self.here = os.path.dirname(os.path.abspath(__file__))
        self.nproc = os.cpu_count() or 1
        self.runner = Runner(2 if self.quick else 3)
        self.results = {"quick": self.quick, "sections": {}, "not_measured": []}
        self.rng = random.Random(20210823)
        self.commands = self._vaxticket_commands()
        self.baseline = args.baseline if args.baseline and os.access(args.baseline, os.X_OK) else None
        self.efforts = self.has_option("scan", "--effort")
        # The fresh sets' seed: new every run unless given (BENCH_SEED), printed to repeat a run.
        self.seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
        self.results["seed"] = self.seed
        log(f"seed {self.seed} (BENCH_SEED={self.seed} repeats this run's fresh photo sets)")

    # ---------------------------------------------------------------- helpers

    def _vaxticket_commands(self):
        try:
            out = subprocess.run([self.bin, "--help"], capture_output=True, text=True).stdout
        except OSError:
            return set()
        return set(re.findall(r"^\s{2,}([a-z][a-z-]+)\s", out.split("SUBCOMMANDS:")[-1], re.M))

    def has_option(self, command, option):
        out = subprocess.run([self.bin, *command.split(), "--help"], capture_output=True, text=True)
        return out.returncode == 0 and option in out.stdout

    def skip(self, section, reason):
        message = f"{section}: not measured: {reason}"
        log(message)
        self.results["not_measured"].append(message)

    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def write_texts(self, path, count, prefix="VT1:", length=76):
        with open(path, "w", encoding="utf-8") as f:
            for _ in range(count):
                body = "".join(self.rng.choice(BASE45) for _ in range(length))
                # A trailing space would be lost by tools that trim lines: keep the last char visible.
                body = body[:-1] + self.rng.choice(BASE45[:36])
                f.write(prefix + body + "\n")

    def vaxticket_scan(self, paths, jobs, out_file, extra=(), binary=None):
        """One timed `vaxticket scan --json` run (exit 1 only means some image had no code)."""
        cmd = [binary or self.bin, "scan", "--json", "--jobs", str(jobs), *extra, *paths]
        return self.runner.once(cmd, ok_codes=(0, 1), stdout=out_file)

    def our_scans(self, images, jobs, out):
        """The timed scans of ours: this build at the default effort, the baseline build and
        this build at --effort high when there are such."""
        tasks = {"vaxticket": lambda: self.vaxticket_scan(images, jobs, out["vaxticket"])}
        if self.baseline:
            tasks["before"] = lambda: self.vaxticket_scan(images, jobs, out["before"], binary=self.baseline)
        if self.efforts:
            tasks["high"] = lambda: self.vaxticket_scan(images, jobs, out["high"], extra=["--effort", "high"])
        return tasks

    def read_jsonl(self, path):
        rows = {}
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip()
                if line:
                    o = json.loads(line)
                    rows[os.path.realpath(o["file"])] = o
        return rows

    def score(self, decoder, rows, expected):
        """Images whose expected text is among the decoder's symbols. Ours is judged on its
        `text` field only; peers on any reading of their bytes (see text_candidates). An image
        may expect several texts (a list): it counts when every one is found; one that expects
        none (an empty list: a photo with no code) counts when nothing is found."""
        ok = []
        for path, text in expected.items():
            o = rows.get(os.path.realpath(path))
            if not o:
                continue
            symbols = o.get("symbols") or []
            if decoder in OURS:
                texts = {s.get("text") for s in symbols}
            else:
                texts = set().union(*(text_candidates(s) for s in symbols)) if symbols else set()
            wanted = text if isinstance(text, list) else [text]
            if all(t in texts for t in wanted) and (wanted or not symbols):
                ok.append(path)
        return ok

    def zbarimg_once(self, paths, out_file):
        """zbarimg, QR only, every file in one process (exit 4: some image had no code). With
        qrcode.binary it prints the payload bytes as they are, which the scorer reads as UTF-8,
        Shift-JIS or Latin-1; without it zbar guesses a charset and garbles some Japanese codes."""
        cmd = ["zbarimg", "--nodbus", "--xml", "-q", "-Sdisable", "-Sqrcode.enable", "-Sqrcode.binary", *paths]
        return self.runner.once(cmd, ok_codes=(0, 4), stdout=out_file)

    def parse_zbarimg(self, xml_file):
        """zbarimg --xml output -> {realpath: {"symbols": [{"text", "bytes"}]}}. Parsed by hand:
        a payload can hold bytes an XML parser would refuse."""
        data = open(xml_file, "rb").read()
        rows = {}
        for source in re.finditer(rb"<source href='(.*?)'>(.*?)</source>", data, re.S):
            path = source.group(1).decode("utf-8", "replace")
            symbols = []
            for m in re.finditer(rb"<data( format='base64')?[^>]*><!\[CDATA\[(.*?)\]\]></data>", source.group(2), re.S):
                raw = base64.b64decode(m.group(2)) if m.group(1) else m.group(2)
                symbols.append({"text": None, "bytes": base64.b64encode(raw).decode()})
            rows[os.path.realpath(path)] = {"symbols": symbols}
        return rows

    def peer_once(self, decoder, list_file, out_file):
        """One Python loop (peer_scan.py) as a whole process; "loop" is its in-loop time."""
        r = self.runner.once([self.py, os.path.join(self.here, "peer_scan.py"), decoder, list_file, out_file])
        m = re.search(r"loop_seconds=([0-9.]+)", r["stderr"])
        r["loop"] = float(m.group(1)) if m else None
        return r

    def rates_for(self, images, expected, tag, jobs=1, runs=1, extra_tasks=None):
        """Every decoder over the same images, one core each (ours with `jobs`), in rounds.
        Returns {decoder: {"ok", "total", "wall", "cpu", "loop", "walls", "read"}} and adds
        extra_tasks' best timings under their own names."""
        list_file = self.path(f"{tag}.list")
        with open(list_file, "w", encoding="utf-8") as f:
            f.write("\n".join(images) + "\n")
        out = {d: self.path(f"{tag}.{d}.out") for d in DECODERS}
        tasks = self.our_scans(images, jobs, out)
        if shutil.which("zbarimg"):
            tasks["zbarimg"] = lambda: self.zbarimg_once(images, out["zbarimg"])
        else:
            self.skip(f"{tag} zbarimg", "zbarimg not installed (Debian zbar-tools)")
        tasks["pyzbar"] = lambda: self.peer_once("pyzbar", list_file, out["pyzbar"])
        tasks["zxingcpp"] = lambda: self.peer_once("zxingcpp", list_file, out["zxingcpp"])
        tasks.update(extra_tasks or {})
        best, failed = self.runner.rounds(tasks, runs)
        for name, message in failed.items():
            self.skip(f"{tag} {name}", message)
        result = {}
        for d in DECODERS:
            if d not in best:
                continue
            try:
                rows = self.parse_zbarimg(out[d]) if d == "zbarimg" else self.read_jsonl(out[d])
            except Exception as error:
                self.skip(f"{tag} {d}", f"unreadable output: {error}")
                continue
            ok = self.score(d, rows, expected)
            r = best[d]
            result[d] = {"ok": len(ok), "total": len(expected), "wall": r["wall"], "cpu": r["cpu"],
                         "loop": r.get("loop"), "walls": r["walls"], "read": sorted(ok)}
        for name in extra_tasks or {}:
            if name in best:
                result[name] = {k: v for k, v in best[name].items() if k != "stderr"}
        return result

    def section_encode(self):
        n = 2000 if self.quick else 5000
        n_cli = 150 if self.quick else 400
        n_segno = 300 if self.quick else 1000
        texts = self.path("encode-texts.txt")
        self.write_texts(texts, n)
        with open(texts, encoding="utf-8") as f:
            lines = f.read().splitlines()
        res = {"count": n, "payload_chars": len(lines[0]), "module_px": 4, "ecc": "Q", "tools": {}}
        self.results["sections"]["encode"] = res
        base = self.path("encode-out")
        shutil.rmtree(base, ignore_errors=True)
        halves = split_lines(texts, self.nproc, self.path("encode-texts.part"))
        segno_texts = self.path("segno-texts.txt")
        with open(segno_texts, "w", encoding="utf-8") as f:
            f.write("\n".join(lines[:n_segno]) + "\n")
        segno_parts = split_lines(segno_texts, self.nproc, self.path("segno-texts.part"))
        segno_py = os.path.join(self.here, "segno_encode.py")
        # The qrencode CLI, one process per code, from a shell loop (as people script it).
        cli_scripts = {}
        for parallel in (False, True):
            chunks = [lines[:n_cli]] if not parallel else [lines[k:n_cli:self.nproc] for k in range(self.nproc)]
            scripts, number = [], 0
            for k, chunk in enumerate(chunks):
                path = self.path(f"qrencode.{int(parallel)}.{k}.sh")
                folder = os.path.join(base, f"qrencode_{'all' if parallel else '1'}", str(k))
                with open(path, "w") as f:
                    for text in chunk:
                        number += 1
                        f.write(f"qrencode -l Q -s 4 -m 4 -o {folder}/{number:05d}.png {shlex.quote(text)}\n")
                scripts.append((["bash", path], folder))
            cli_scripts[parallel] = scripts

        p = self.nproc
        # name: (label, items, cores, fn)
        # The same one-core pair writing to memory (tmpfs) as well: the disk's share of the time
        # is the same for both, but on a busy disk it is noise.
        mem = f"/dev/shm/vaxticket-bench-{os.getpid()}" if os.path.isdir("/dev/shm") else None
        folders = {}

        def single(name, cmd_for, root=None):
            folder = os.path.join(root or base, name, "0")
            folders[name] = os.path.dirname(folder)
            return lambda: self.runner.once(cmd_for(folder), prepare=lambda: fresh_dir(folder))

        def multi(name, cmds_for):
            folders = [os.path.join(base, name, str(k)) for k in range(p)]
            return lambda: self.runner.parallel_once(cmds_for(folders), prepare=lambda: [fresh_dir(d) for d in folders])

        specs = {
            "c_1": ("C reference (libqrencode + libpng), 1 core", n, 1,
                    single("c_1", lambda d: [self.cref, texts, d, "4"])),
            "ours_1": ("vaxticket qr --texts, --jobs 1", n, 1,
                       single("ours_1", lambda d: [self.bin, "qr", "--texts", texts, "--out-dir", d, "--jobs", "1",
                                                   "--module-px", "4", "--ecc", "Q"])),
            "c_all": (f"C reference, {p} processes", n, p,
                      multi("c_all", lambda ds: [[self.cref, h, d, "4"] for h, d in zip(halves, ds)])),
            "ours_all": (f"vaxticket qr --texts, --jobs {p}", n, p,
                         single("ours_all", lambda d: [self.bin, "qr", "--texts", texts, "--out-dir", d, "--jobs", str(p),
                                                       "--module-px", "4", "--ecc", "Q"])),
            "segno_1": ("segno, Python loop", n_segno, 1,
                        single("segno_1", lambda d: [self.py, segno_py, segno_texts, d, "4"])),
            "segno_all": (f"segno, Python loop, {p} processes", n_segno, p,
                          multi("segno_all", lambda ds: [[self.py, segno_py, t, d, "4"] for t, d in zip(segno_parts, ds)])),
        }
        if mem:
            specs["c_1_mem"] = ("C reference, 1 core, PNGs to memory (/dev/shm)", n, 1,
                                single("c_1_mem", lambda d: [self.cref, texts, d, "4"], mem))
            specs["ours_1_mem"] = ("vaxticket qr --texts, --jobs 1, PNGs to memory (/dev/shm)", n, 1,
                                   single("ours_1_mem", lambda d: [self.bin, "qr", "--texts", texts, "--out-dir", d,
                                                                   "--jobs", "1", "--module-px", "4", "--ecc", "Q"], mem))
        if shutil.which("qrencode"):
            def cli(parallel):
                scripts = cli_scripts[parallel]
                def fn():
                    for _, folder in scripts:
                        fresh_dir(folder)
                    if parallel:
                        return self.runner.parallel_once([c for c, _ in scripts])
                    return self.runner.once(scripts[0][0])
                return fn
            specs["qrencode_1"] = ("qrencode CLI, one process per code", n_cli, 1, cli(False))
            specs["qrencode_all"] = (f"qrencode CLI, one process per code, {p} at a time", n_cli, p, cli(True))
        else:
            self.skip("encode qrencode CLI", "qrencode not installed (Debian qrencode)")

        best, failed = self.runner.rounds({k: v[3] for k, v in specs.items()})
        for name, message in failed.items():
            self.skip(f"encode {specs[name][0]}", message)
        for name, r in best.items():
            label, count, cores, _ = specs[name]
            files, sizes = [], []
            for root, _, names in os.walk(folders.get(name, os.path.join(base, name))):
                files += [os.path.join(root, x) for x in names if x.endswith(".png")]
            if len(files) != count:
                self.skip(f"encode {label}", f"wrote {len(files)} PNGs, expected {count}")
                continue
            sizes = [os.path.getsize(f) for f in files]
            res["tools"][name] = {"label": label, "count": count, "wall": r["wall"], "cpu": r["cpu"], "walls": r["walls"],
                                  "rate": count / r["wall"], "cores": cores, "png_bytes": sum(sizes) / len(sizes),
                                  "side_px": png_size(sorted(files)[0])[0]}
            log(f"encode {label}: {count / r['wall']:.0f} PNG/s (CPU {1e6 * r['cpu'] / count:.0f} us/PNG), "
                f"{sum(sizes) / len(sizes):.0f} B/PNG")
        if "ours_1" in best:
            res["ours_check"] = self.check_decodes(os.path.join(base, "ours_1", "0"), lines)
        shutil.rmtree(base, ignore_errors=True)
        if mem:
            shutil.rmtree(mem, ignore_errors=True)

    def check_decodes(self, folder, lines, sample=20):
        """A sample of our PNGs decoded by zxing-cpp: the payload must come back exactly."""
        try:
            from PIL import Image
            import zxingcpp
        except ImportError as error:
            return {"error": str(error)}
        names = sorted(os.listdir(folder))[:sample]
        good = 0
        for name in names:
            with Image.open(os.path.join(folder, name)) as image:
                found = [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]
            if lines[int(name[:5]) - 1] in found:
                good += 1
        return {"checked": len(names), "decoded_exactly": good}

    def section_photos(self):
        photos = self.args.photos
        if not photos or not os.path.isdir(photos):
            self.skip("scan real photos", f"no photo folder at {photos or '../shared/photos'}")
            return
        expected = {}
        for root, _, files in os.walk(photos):
            for name in sorted(files):
                if name.lower().endswith((".png", ".jpg", ".jpeg")):
                    txt = os.path.join(root, os.path.splitext(name)[0] + ".txt")
                    if os.path.exists(txt):
                        with open(txt, encoding="utf-8", newline="") as f:
                            expected[os.path.join(root, name)] = f.read()
        images = sorted(expected)
        res = {"folder": photos, "images": len(images), "decoders": {}}
        self.results["sections"]["photos"] = res
        # Timed, one core each, whole processes, in rounds; ours also on all cores.
        all_out = self.path("photos.all.out")
        extra = {"ours_all_cores": lambda: self.vaxticket_scan(images, self.nproc, all_out)}
        rates = self.rates_for(images, expected, "photos", jobs=1, runs=self.runner.runs, extra_tasks=extra)
        allc = rates.pop("ours_all_cores", None)
        if allc:
            res["ours_all_cores"] = {"wall": allc["wall"], "cpu": allc["cpu"], "jobs": self.nproc}
        res["decoders"] = rates
        for decoder, r in res["decoders"].items():
            log(f"photos {decoder}: {r['ok']}/{r['total']} read, {r['wall']:.2f} s")

    def make_tickets(self, count, tag):
        """Ticket PNGs (4 px/module) each with a .txt of its payload: real signed tickets when
        `vaxticket issue` exists, else 80-character VT1: texts of the same alphabet."""
        folder = self.path(f"{tag}-tickets")
        fresh_dir(folder)
        texts = os.path.join(folder, "texts.txt")
        kind = "synthetic VT1 texts (80 chars)"
        if "issue" in self.commands and "keys" in self.commands:
            try:
                lines = self.issue_texts(count, self.path(f"{tag}-issue"))
                with open(texts, "w", encoding="utf-8") as f:
                    f.write("\n".join(lines) + "\n")
                kind = "signed tickets from vaxticket issue"
            except Exception as error:
                log(f"{tag}: issue failed ({error}); using synthetic texts")
        if kind.startswith("synthetic"):
            self.write_texts(texts, count)
        subprocess.run([self.bin, "qr", "--texts", texts, "--out-dir", folder, "--module-px", "4"],
                       check=True, stdout=subprocess.DEVNULL)
        with open(texts, encoding="utf-8") as f:
            lines = f.read().splitlines()
        os.remove(texts)
        for number, text in enumerate(lines, start=1):
            with open(os.path.join(folder, f"{number:05d}.txt"), "w", encoding="utf-8") as f:
                f.write(text)
        return folder, kind, lines

    def keyring(self):
        path = self.path("keyring", "keyring.json")
        if not os.path.exists(path):
            fresh_dir(os.path.dirname(path))
            subprocess.run([self.bin, "keys", "new", "--keyring", path], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return path

    def write_csv(self, path, count):
        vaccines = ["CORONAVAC", "ASTRAZENECA", "PFIZER", "MODERNA", "SINOPHARM", "BIOFARMA"]
        with open(path, "w", encoding="utf-8") as f:
            f.write("registrant,dose,vaccine,site,group,valid_from,valid_until\n")
            for i in range(count):
                reg = f"3273{self.rng.randrange(10**12):012d}"
                f.write(f"{reg},{1 + i % 2},{vaccines[i % len(vaccines)]},BDG{i % 40:03d},GENERAL,,\n")

    def issue_texts(self, count, folder):
        fresh_dir(folder)
        csv = os.path.join(folder, "rows.csv")
        self.write_csv(csv, count)
        subprocess.run([self.bin, "issue", "--csv", csv, "--out-dir", os.path.join(folder, "out"), "--format", "text",
                        "--keyring", self.keyring()], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with open(os.path.join(folder, "out", "tickets.txt"), encoding="utf-8") as f:
            lines = [l for l in f.read().splitlines() if l]
        if len(lines) != count:
            raise CommandFailed(f"issue wrote {len(lines)} texts for {count} rows")
        return lines

    def simulate(self, inputs, out_dir, kind, strength=None, count=1, seed=1, quality=None):
        cmd = [self.bin, "simulate-photo", *inputs, "--out-dir", out_dir, "--kind", kind,
               "--count", str(count), "--seed", str(seed), "--module-px", "4"]
        if strength is not None:
            cmd += ["--strength", str(strength)]
        if quality is not None:
            cmd += ["--quality", str(quality)]
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            raise CommandFailed(f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}")

    def damage_levels(self, kind):
        """The settings each kind is generated at: several strengths, so a rate per kind is not
        one point. Returns [(label, strength, quality)]."""
        if kind == "blur":  # sigma in pixels of the 4 px/module ticket: a quarter to half a module
            values = [1.0, 2.0] if self.quick else [1.0, 1.5, 2.0]
            return [(f"sigma {v:g} px", v, None) for v in values]
        if kind == "combined":  # about half readable by the reader before issue 10
            values = [0.6, 0.8] if self.quick else [0.6, 0.7, 0.8]
            return [(f"strength {v:g}", v, None) for v in values]
        if kind == "jpeg":  # JPEG quality 30-70
            values = [30, 60] if self.quick else [30, 50, 70]
            return [(f"quality {q}", None, q) for q in values]
        values = [0.4, 0.8] if self.quick else [0.3, 0.6, 0.9]
        return [(f"strength {v:g}", v, None) for v in values]

    def expected_in(self, folder):
        expected = {}
        for root, _, files in os.walk(folder):
            for name in sorted(files):
                if name.endswith(".jpg"):
                    txt = os.path.join(root, name[:-4] + ".txt")
                    if os.path.exists(txt):
                        with open(txt, encoding="utf-8", newline="") as f:
                            expected[os.path.join(root, name)] = f.read()
        return expected

    def section_simulated(self):
        if "simulate-photo" not in self.commands:
            self.skip("scan simulated camera set", "`vaxticket simulate-photo` does not exist in this build yet")
            return
        n_tickets = 4 if self.quick else 20
        folder, kind, _ = self.make_tickets(n_tickets, "sim")
        inputs = sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".png"))
        res = {"tickets": n_tickets, "ticket_kind": kind, "kinds": {}, "levels": {}}
        self.results["sections"]["simulated"] = res
        sim = self.path("sim-photos")
        fresh_dir(sim)
        for k in KINDS:
            levels = self.damage_levels(k)
            res["levels"][k] = [label for label, _, _ in levels]
            for i, (label, strength, quality) in enumerate(levels):
                try:
                    # Combined damage reads about half the time: more photos, for rates worth quoting.
                    count = (1 if self.quick else 3) if k == "combined" else 1
                    self.simulate(inputs, os.path.join(sim, f"{k}-{i}"), k, strength=strength, quality=quality,
                                  seed=7 + i, count=count)
                except Exception as error:
                    self.skip(f"simulated kind {k} ({label})", f"simulate-photo failed: {error}")
        expected = self.expected_in(sim)
        if not expected:
            self.skip("scan simulated camera set", "simulate-photo wrote no photos with .txt")
            return
        images = sorted(expected)
        res["images"] = len(images)
        rates = self.rates_for(images, expected, "sim", jobs=1, runs=self.runner.runs - 1)
        res["decoders"] = {d: {k: v for k, v in r.items() if k != "read"} for d, r in rates.items()}
        for decoder, r in rates.items():
            read = set(r["read"])
            for k in KINDS:
                of_kind = [p for p in images if f".{k}." in os.path.basename(p)]
                if of_kind:
                    res["kinds"].setdefault(k, {"total": len(of_kind)})[decoder] = sum(p in read for p in of_kind)
            log(f"simulated {decoder}: {r['ok']}/{r['total']} read")
        self.blur_sweep()
        self.fresh_sets()

    def fresh_expected(self):
        """{path: [texts]} of the fresh sets made in this run, by kind; {} when none."""
        manifest = self.path("fresh-photos", "manifest.json")
        if not os.path.exists(manifest):
            return {}
        with open(manifest, encoding="utf-8") as f:
            kinds = json.load(f)["kinds"]
        return {kind: {self.path("fresh-photos", kind, name): texts for name, texts in photos.items()}
                for kind, photos in kinds.items()}

    def fresh_sets(self):
        """Issue 22: photo sets made in ways simulate-photo does not make (photo_sets.py), from
        this run's seed, half their codes our signed tickets; every decoder on all of them, one
        core, and the read counts per kind."""
        count = 12 if self.quick else 40
        folder = self.path("fresh-photos")
        fresh_dir(folder)
        texts = self.path("fresh-texts.txt")
        try:
            with open(texts, "w", encoding="utf-8") as f:
                f.write("\n".join(self.issue_texts(20, self.path("fresh-issue"))) + "\n")
        except Exception as error:
            log(f"fresh sets: issue failed ({error}); using synthetic texts")
            self.write_texts(texts, 20)
        cmd = [self.py, os.path.join(self.here, "photo_sets.py"), "--out", folder, "--seed", str(self.seed),
               "--count", str(count), "--texts", texts, "--kinds", ",".join(FRESH_ROLES)]
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            self.skip("fresh photo sets", f"photo_sets.py failed: {proc.stderr.strip()[-300:]}")
            return
        by_kind = self.fresh_expected()
        expected = {path: texts for photos in by_kind.values() for path, texts in photos.items()}
        images = sorted(expected)
        res = {"seed": self.seed, "per_kind": count, "images": len(images), "kinds": {}}
        self.results["sections"]["fresh"] = res
        rates = self.rates_for(images, expected, "fresh", jobs=1, runs=self.runner.runs - 1)
        res["decoders"] = {d: {k: v for k, v in r.items() if k != "read"} for d, r in rates.items()}
        for kind, photos in by_kind.items():
            entry = res["kinds"].setdefault(kind, {"total": len(photos), "role": FRESH_ROLES.get(kind, "checked"),
                                                   "codes": sum(len(t) for t in photos.values())})
            for decoder, r in rates.items():
                read = set(r["read"])
                entry[decoder] = sum(p in read for p in photos)
        for kind, entry in res["kinds"].items():
            log(f"fresh {kind}: " + ", ".join(f"{d} {entry[d]}" for d in DECODERS if d in entry) + f" of {entry['total']}")

    def blur_sweep(self, _inputs=None):
        # Classic decoders fall off a cliff near half a module (2 px): sample densely there.
        strengths = ([1.0, 1.5, 1.75, 2.0, 2.25, 2.5] if self.quick
                     else [0.5, 1.0, 1.5, 1.75, 1.9, 2.0, 2.1, 2.25, 2.5, 3.0])
        n = 8 if self.quick else 40
        folder, _, _ = self.make_tickets(n, "blur")
        inputs = sorted(os.path.join(folder, x) for x in os.listdir(folder) if x.endswith(".png"))
        res = {"module_px": 4, "strengths": strengths, "per_strength": n, "decoders": {d: [] for d in DECODERS}}
        self.results["sections"]["blur"] = res
        for s in strengths:
            out = self.path("blur", f"{s}")
            fresh_dir(out)
            try:
                self.simulate(inputs, out, "blur", strength=s, count=1, seed=11)
            except Exception as error:
                self.skip("blur sweep", f"simulate-photo --kind blur --strength {s} failed: {error}")
                return
            expected = self.expected_in(out)
            rates = self.rates_for(sorted(expected), expected, f"blur{s}", jobs=self.nproc, runs=1)
            for d in DECODERS:
                r = rates.get(d)
                res["decoders"][d].append(r["ok"] / r["total"] if r and r["total"] else None)
            log(f"blur sigma {s}: " + ", ".join(f"{d} {rates[d]['ok']}/{rates[d]['total']}" for d in rates))

    def make_large_photo(self, qr_png, out_path, seed):
        import numpy as np
        from PIL import Image, ImageFilter
        rng = np.random.default_rng(seed)
        w, h = 4000, 3000
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        canvas = 120 + 50 * (xx / w) + 30 * (yy / h) + rng.normal(0, 10, (h, w))
        with Image.open(qr_png) as qr:
            qr = qr.convert("L")
            side = int(rng.integers(700, 1300))
            qr = qr.resize((side, side), Image.NEAREST).rotate(float(rng.uniform(-12, 12)), Image.BICUBIC, expand=True, fillcolor=255)
            # The printed paper: the code's white quiet zone on a slightly grey sheet.
            arr = np.asarray(qr, dtype=np.float32) * 0.85 + 20
            x0 = int(rng.integers(100, w - arr.shape[1] - 100))
            y0 = int(rng.integers(100, h - arr.shape[0] - 100))
            canvas[y0:y0 + arr.shape[0], x0:x0 + arr.shape[1]] = arr + rng.normal(0, 6, arr.shape)
        image = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.2))
        image.convert("RGB").save(out_path, quality=88)

    def section_large(self):
        n = 2 if self.quick else 6
        folder, _, lines = self.make_tickets(n, "large")
        photos = self.path("large-photos")
        fresh_dir(photos)
        expected = {}
        for i in range(n):
            path = os.path.join(photos, f"{i + 1:02d}.jpg")
            self.make_large_photo(os.path.join(folder, f"{i + 1:05d}.png"), path, seed=100 + i)
            expected[path] = lines[i]
        images = sorted(expected)
        res = {"images": n, "size": "4000x3000 JPEG, quality 88", "modes": {}}
        self.results["sections"]["large"] = res
        extra = {}
        full_out = self.path("large.full.out")
        if self.has_option("scan", "--full-resolution"):
            extra["full"] = lambda: self.vaxticket_scan(images, 1, full_out, extra=["--full-resolution"])
        else:
            self.skip("12 MP scan, full decoding", "`vaxticket scan --full-resolution` does not exist in this build yet")
        rates = self.rates_for(images, expected, "large", jobs=1, runs=2 if self.quick else 3, extra_tasks=extra)
        if "vaxticket" in rates:
            r = rates.pop("vaxticket")
            res["modes"]["scaled"] = {"wall": r["wall"], "cpu": r["cpu"], "ok": r["ok"], "total": n}
        if "full" in rates:
            r = rates.pop("full")
            ok = self.score("vaxticket", self.read_jsonl(full_out), expected)
            res["modes"]["full"] = {"wall": r["wall"], "cpu": r["cpu"], "ok": len(ok), "total": n}
        for mode, r in res["modes"].items():
            log(f"12 MP {mode}: {r['ok']}/{n} read, {r['wall'] / n * 1000:.0f} ms/photo")
        res["peak_mib"] = self.large_memory(images)
        res["peers"] = {d: {k: v for k, v in r.items() if k != "read"} for d, r in rates.items()}

    def peak_rss(self, cmd):
        """The peak resident memory of one process, in MiB, as /usr/bin/time reports it (a
        child's own rusage from here would include this Python process's memory at fork)."""
        timer = shutil.which("time") or "/usr/bin/time"
        proc = subprocess.run([timer, "-f", "peak_kb=%M", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
        if proc.returncode not in (0, 1):
            raise CommandFailed(f"exit {proc.returncode}: {' '.join(map(str, cmd))[:200]}")
        m = re.search(r"peak_kb=(\d+)", proc.stderr)
        if not m:
            raise CommandFailed(f"no peak memory from {timer}: {proc.stderr.strip()[-200:]}")
        return int(m.group(1)) / 1024

    def large_memory(self, images):
        """Peak memory of `vaxticket scan` reading one 12 MP JPEG, each image its own process;
        the largest over the images, per variant."""
        variants = {"vaxticket": [self.bin, "scan", "--jobs", "1"]}
        if self.efforts:
            variants["high"] = [self.bin, "scan", "--jobs", "1", "--effort", "high"]
        if self.baseline:
            variants["before"] = [self.baseline, "scan", "--jobs", "1"]
        if self.has_option("scan", "--full-resolution"):
            variants["full"] = [self.bin, "scan", "--jobs", "1", "--full-resolution"]
        # The floor: the same binary printing its help, no image read at all.
        memory = {"idle": self.peak_rss([self.bin, "scan", "--help"])}
        for name, cmd in variants.items():
            try:
                memory[name] = max(self.peak_rss(cmd + [image]) for image in images)
            except Exception as error:
                self.skip(f"12 MP peak memory, {name}", str(error))
        for name, mib in memory.items():
            log(f"12 MP peak memory {name}: {mib:.0f} MiB")
        return memory

    def traced_costs(self, binary, images, expected, extra=()):
        """Per-image cost on one core from `scan --trace outcome` (best of the runs per image),
        with whether the image read: {"read": [ms...], "unread": [ms...], "work_read",
        "work_unread"}; work units only where the build reports them."""
        list_args = [binary, "scan", "--json", "--jobs", "1", "--trace", "outcome", *extra, *images]
        best, work = {}, {}
        out_file = self.path("effort-trace.out")
        for _ in range(2):
            with open(out_file, "wb") as out:
                proc = subprocess.run(list_args, stdout=out, stderr=subprocess.PIPE)
            if proc.returncode not in (0, 1):
                raise CommandFailed(f"exit {proc.returncode}: {proc.stderr.decode('utf-8', 'replace')[-300:]}")
            for line in proc.stderr.decode("utf-8", "replace").splitlines():
                fields = line.split("\t")
                if fields[0] != "photo-trace" or len(fields) < 5:
                    continue
                path = os.path.realpath(fields[1])
                ms = float(fields[4])
                best[path] = min(ms, best.get(path, ms))
                if len(fields) >= 6:
                    work[path] = int(fields[5])
        rows = self.read_jsonl(out_file)
        read = set(os.path.realpath(p) for p in self.score("vaxticket", rows, expected) if expected[p] != [])
        result = {"read": [], "unread": [], "work_read": [], "work_unread": [],
                  "false_codes": sum(1 for p, t in expected.items() if t == []
                                     and (rows.get(os.path.realpath(p)) or {}).get("symbols")),
                  "nothing": all(t == [] for t in expected.values())}
        for path in (os.path.realpath(p) for p in expected):
            if path not in best:
                continue
            kind = "read" if path in read else "unread"
            result[kind].append(best[path])
            if path in work:
                result["work_" + kind].append(work[path])
        return result

    def section_effort(self):
        """Issue 10: what one image costs on one core, read or not, before this branch's work and
        after, at each effort; images from the real photos and the simulated sets (run
        `simulated` first, or in the same run)."""
        sets = {}
        photos = self.args.photos
        if photos and os.path.isdir(photos):
            expected = {}
            for root, _, files in os.walk(photos):
                for name in sorted(files):
                    if name.lower().endswith((".png", ".jpg", ".jpeg")):
                        txt = os.path.join(root, os.path.splitext(name)[0] + ".txt")
                        if os.path.exists(txt):
                            with open(txt, encoding="utf-8", newline="") as f:
                                expected[os.path.join(root, name)] = f.read()
            sets["real photos"] = expected
        sim = self.expected_in(self.path("sim-photos")) if os.path.isdir(self.path("sim-photos")) else {}
        if sim:
            sets["simulated, all kinds"] = sim
            combined = {p: t for p, t in sim.items() if ".combined." in os.path.basename(p)}
            if combined:
                sets["simulated, combined damage"] = combined
        for kind, photos in self.fresh_expected().items():
            sets[f"fresh: {kind}"] = photos
        if not sets:
            self.skip("effort", "no images (needs the real photos or the simulated set from the same run)")
            return
        variants = {}
        if self.baseline:
            variants["before"] = (self.baseline, ())
        if self.efforts:
            for effort in ("low", "normal", "high"):
                variants[effort] = (self.bin, ("--effort", effort))
        else:
            variants["vaxticket"] = (self.bin, ())
        res = {"sets": {}}
        self.results["sections"]["effort"] = res
        for name, expected in sets.items():
            res["sets"][name] = {"images": len(expected), "variants": {}}
            for variant, (binary, extra) in variants.items():
                try:
                    costs = self.traced_costs(binary, sorted(expected), expected, extra)
                except Exception as error:
                    self.skip(f"effort {name} {variant}", str(error))
                    continue
                res["sets"][name]["variants"][variant] = costs
                med = lambda xs: sorted(xs)[len(xs) // 2] if xs else None
                log(f"effort {name} {variant}: {len(costs['read'])} read, median {med(costs['read'])} ms; "
                    f"{len(costs['unread'])} unread, median {med(costs['unread'])} ms")

    def section_tickets(self):
        if "issue" not in self.commands or "keys" not in self.commands:
            self.skip("issue/verify", "`vaxticket issue` or `vaxticket keys` does not exist in this build yet")
            return
        n = 1500 if self.quick else 100000
        runs = 2 if self.quick else 1
        res = {"rows": n, "module_px": 4, "runs": runs}
        self.results["sections"]["tickets"] = res
        folder = self.path("issue")
        fresh_dir(folder)
        csv = os.path.join(folder, "rows.csv")
        self.write_csv(csv, n)
        keyring = self.keyring()
        base = self.path("issue-out")
        tasks = {}
        # The C reference writes the very ticket texts of such a batch, on one core.
        try:
            texts = self.issue_texts(n, self.path("issue-texts"))
            texts_file = self.path("issue-texts", "texts.txt")
            with open(texts_file, "w", encoding="utf-8") as f:
                f.write("\n".join(texts) + "\n")
            res["ticket_chars"] = sum(map(len, texts)) / len(texts)
            cout = os.path.join(base, "c_1")
            tasks["c_1"] = lambda: self.runner.once([self.cref, texts_file, cout, "4"], prepare=lambda: fresh_dir(cout))
        except Exception as error:
            self.skip("issue, C reference on ticket texts", str(error))

        def ours(jobs):
            out = os.path.join(base, f"ours_{jobs}")
            return lambda: self.runner.once([self.bin, "issue", "--csv", csv, "--out-dir", out, "--jobs", str(jobs),
                                             "--keyring", keyring, "--module-px", "4"], prepare=lambda: fresh_dir(out))
        for jobs in sorted({1, self.nproc}):
            tasks[f"ours_{jobs}"] = ours(jobs)
        if self.baseline:
            # The build this change started from, on all cores, in turn with ours (its own
            # keyring: an older build reads only what it wrote).
            before_keyring = os.path.join(folder, "before-keyring.json")
            subprocess.run([self.baseline, "keys", "new", "--keyring", before_keyring], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            before_out = os.path.join(base, f"before_{self.nproc}")
            tasks[f"before_{self.nproc}"] = lambda: self.runner.once(
                [self.baseline, "issue", "--csv", csv, "--out-dir", before_out, "--jobs", str(self.nproc),
                 "--keyring", before_keyring, "--module-px", "4"], prepare=lambda: fresh_dir(before_out))
        best, failed = self.runner.rounds(tasks, runs)
        for name, message in failed.items():
            self.skip(f"issue {name}", message)
        for name, r in best.items():
            out = os.path.join(base, name)
            files = [x for x in os.listdir(out) if x.endswith(".png")]
            if len(files) != n:
                self.skip(f"issue {name}", f"wrote {len(files)} PNGs for {n} rows")
                continue
            res[name] = {"wall": r["wall"], "cpu": r["cpu"], "rate": n / r["wall"], "walls": r["walls"],
                         "png_bytes": sum(os.path.getsize(os.path.join(out, x)) for x in files) / n}
            log(f"issue {name}: {n / r['wall']:.0f} tickets/s (CPU {1e6 * r['cpu'] / n:.0f} us/ticket)")

        ours_out = os.path.join(base, "ours_1")
        if "verify" not in self.commands:
            self.skip("verify", "`vaxticket verify` does not exist in this build yet")
        elif "ours_1" not in res:
            self.skip("verify", "no issued ticket PNGs to verify")
        else:
            m = 1000 if self.quick else 10000
            vdir = self.path("verify-in")
            fresh_dir(vdir)
            for name in sorted(x for x in os.listdir(ours_out) if x.endswith(".png"))[:m]:
                os.link(os.path.join(ours_out, name), os.path.join(vdir, name))
            res["verify_images"] = m

            def verify(jobs):
                return lambda: self.runner.once([self.bin, "verify", "--json", "--jobs", str(jobs), "--keyring", keyring, vdir],
                                                ok_codes=(0, 1), stdout=self.path(f"verify.{jobs}.out"))
            best, failed = self.runner.rounds({f"verify_{j}": verify(j) for j in sorted({1, self.nproc})},
                                              2)
            for name, message in failed.items():
                self.skip(name, message)
            for name, r in best.items():
                jobs = int(name.split("_")[1])
                valid = 0
                for line in open(self.path(f"verify.{jobs}.out"), encoding="utf-8"):
                    if line.strip() and json.loads(line).get("status") == "valid":
                        valid += 1
                res[name] = {"wall": r["wall"], "cpu": r["cpu"], "rate": m / r["wall"], "valid": valid, "jobs": jobs,
                             "walls": r["walls"]}
                log(f"verify --jobs {jobs}: {m / r['wall']:.0f} images/s, {valid} valid, CPU/wall {r['cpu'] / r['wall']:.2f}")
            shutil.rmtree(vdir, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)
        self.signatures(res)

    def signatures(self, res):
        """Ed25519 (VT2) against HMAC-SHA256 (VT1) per ticket on one core, through the real
        commands: `issue --format text --jobs 1` and `verify --payloads --jobs 1` of N tickets, less
        the same command on one ticket (process start, keyring and CSV set-up cancel out), divided
        by N - 1; every run taken in turn with the others, best of the runs. Also the typical
        ticket's size and QR version in each version, as `vaxticket issue` reports them."""
        if not self.has_option("keys new", "--algorithm") or not self.has_option("verify", "--payloads"):
            self.skip("tickets: Ed25519 against HMAC", "`keys new --algorithm` or `verify --payloads` does not exist yet")
            return
        n = 3000 if self.quick else 30000
        folder = self.path("signatures")
        fresh_dir(folder)
        keyrings = {"hmac": self.keyring(), "ed25519": os.path.join(folder, "ed25519-keyring.json")}
        subprocess.run([self.bin, "keys", "new", "--algorithm", "ed25519", "--keyring", keyrings["ed25519"]],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        public_keys = os.path.join(folder, "public-keys.json")
        subprocess.run([self.bin, "keys", "export-public", "--keyring", keyrings["ed25519"], "--out", public_keys],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        counts = {"n": n, "1": 1}
        csvs = {}
        for size, count in counts.items():
            csvs[size] = os.path.join(folder, f"rows-{size}.csv")
            self.write_csv(csvs[size], count)
        sig = {"tickets": n, "sizes": {}}
        texts = {}
        tasks = {}
        for alg, keyring in keyrings.items():
            # The typical ticket: 16-digit registrant, 6-character site, key K1.
            out = subprocess.run([self.bin, "issue", "--registrant", "2108230000012345", "--dose", "1", "--vaccine",
                                  "CORONAVAC", "--site", "BDG001", "--keyring", keyring, "--json",
                                  "--out", os.path.join(folder, f"typical-{alg}.png")],
                                 check=True, capture_output=True, text=True).stdout
            info = json.loads(out.splitlines()[0])
            sig["sizes"][alg] = {"characters": info["characters"], "qr_version": info["qrVersion"],
                                 "modules": info["modules"], "prefix": info["text"][:4]}
            for size in counts:
                out_dir = os.path.join(folder, f"issue-{alg}-{size}")

                def issue(out_dir=out_dir, csv=csvs[size], keyring=keyring):
                    return self.runner.once([self.bin, "issue", "--csv", csv, "--out-dir", out_dir, "--format", "text",
                                             "--jobs", "1", "--keyring", keyring], prepare=lambda: fresh_dir(out_dir))
                issue()
                texts[alg, size] = os.path.join(out_dir, "tickets.txt")
                kept = os.path.join(folder, f"texts-{alg}-{size}.txt")
                shutil.copyfile(texts[alg, size], kept)
                tasks[f"issue_{alg}_{size}"] = issue

                def verify(kept=kept, keyring=keyring, extra=()):
                    return self.runner.once([self.bin, "verify", "--payloads", kept, "--jobs", "1", *extra]
                                            + ([] if extra else ["--keyring", keyring]))
                tasks[f"verify_{alg}_{size}"] = verify
                if alg == "ed25519":
                    tasks[f"verify_public_{size}"] = lambda kept=kept, verify=verify: verify(
                        kept, extra=("--public-keys", public_keys))
        best, failed = self.runner.rounds(tasks, 3 if self.quick else 5)
        for name, message in failed.items():
            self.skip(f"tickets: {name}", message)
        for name in sorted({k.rsplit("_", 1)[0] for k in tasks}):
            big, one = best.get(f"{name}_n"), best.get(f"{name}_1")
            if not big or not one:
                continue
            sig[name] = {"cpu_us": 1e6 * (big["cpu"] - one["cpu"]) / (n - 1),
                         "wall_us": 1e6 * (big["wall"] - one["wall"]) / (n - 1),
                         "cpu_per_wall": big["cpu"] / big["wall"], "runs": len(big["walls"])}
            log(f"{name}: {sig[name]['cpu_us']:.1f} us CPU per ticket ({sig[name]['wall_us']:.1f} us wall), "
                f"CPU/wall {sig[name]['cpu_per_wall']:.2f}")
        res["signatures"] = sig
        shutil.rmtree(folder, ignore_errors=True)

    def section_record(self):
        script = os.path.join(self.here, "record.sh")
        if not os.path.exists(script):
            self.skip("record/stats at scale", "scripts/bench.d/record.sh is not there yet (recording helper)")
            return
        if "record" not in self.commands or "stats" not in self.commands:
            self.skip("record/stats at scale", "`vaxticket record` or `vaxticket stats` does not exist in this build yet")
            return
        folder = self.path("record")
        # Full: a whole city's 1,205,265 doses (record.sh's default); quick: a small batch.
        args = ["bash", script, "--bin", self.bin, "--work", folder] + (["--doses", "20000"] if self.quick else [])
        # PostgreSQL side by side when its server can be had (installed, or installable as root).
        if glob.glob("/usr/lib/postgresql/*/bin/initdb") or os.geteuid() == 0:
            args.append("--postgres")
        else:
            self.skip("record/stats on PostgreSQL", "PostgreSQL is not installed and this is not root")
        before = None
        if self.baseline:
            # The build this change started from, the same script, just before ours.
            before_args = [self.baseline if a == self.bin else a for a in args]
            before = self.run_metrics_script(before_args, "record", "record/stats at scale, before", "record.sh")
            shutil.rmtree(folder, ignore_errors=True)
        res = self.run_metrics_script(args, "record", "record/stats at scale", "record.sh")
        res["stderr"] = res.pop("error_tail")
        if before:
            res["before"] = before.get("metrics", {})
        shutil.rmtree(folder, ignore_errors=True)

    def timed_with_rss(self, cmd):
        """One run of `cmd`: wall and CPU seconds and the child's own peak resident memory (os.wait4)."""
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise CommandFailed(f"exit {proc.returncode}: {' '.join(cmd)[:200]}: {err.decode('utf-8', 'replace')[-300:]}")
        return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_kb": usage.ru_maxrss}

    def write_card_csv(self, path, count):
        """A registrants CSV with the card columns: names (some long, some non-ASCII) and site names."""
        names = ["Siti Rahmawati", "Agus Setiawan", "Ni Luh Putu Ayu Wulandari Kusumadewi", "Nguyễn Thị Minh Khai",
                 "Budi Santoso", "Raden Mas Muhammad Abdurrahman Wahyudiningrat", "Sri Wahyuni", "I Gede Made Oka"]
        vaccines = ["CORONAVAC", "ASTRAZENECA", "PFIZER", "MODERNA", "SINOPHARM", "BIOFARMA"]
        with open(path, "w", encoding="utf-8") as f:
            f.write("registrant,dose,vaccine,site,group,valid_from,valid_until,name,site_name\n")
            for i in range(count):
                reg = f"3273{self.rng.randrange(10**12):012d}"
                f.write(f"{reg},{1 + i % 2},{vaccines[i % len(vaccines)]},BDG{i % 40:03d},GENERAL,,,"
                        f"{names[i % len(names)]},Puskesmas Kelurahan {i % 40}\n")

    def section_cards(self):
        if not self.has_option("issue", "card"):
            self.skip("cards", "`vaxticket issue --format card` does not exist in this build yet")
            return
        n = 400 if self.quick else 10000
        small = n // 10
        res = {"rows": n, "dpi": 300, "jobs": self.nproc}
        self.results["sections"]["cards"] = res
        folder = self.path("cards")
        fresh_dir(folder)
        csv = os.path.join(folder, "rows.csv")
        self.write_card_csv(csv, n)
        csv_small = os.path.join(folder, "rows-small.csv")
        with open(csv) as f, open(csv_small, "w") as g:
            g.writelines(f.readlines()[: small + 1])
        keyring = self.keyring()

        def issue(rows_csv, fmt, out):
            fresh_dir(out)
            return self.timed_with_rss([self.bin, "issue", "--csv", rows_csv, "--out-dir", out, "--format", fmt,
                                        "--jobs", str(self.nproc), "--keyring", keyring])
        try:
            out = os.path.join(folder, "png")
            r = issue(csv, "card", out)
            files = [x for x in os.listdir(out) if x.endswith(".png")]
            if len(files) != n:
                raise CommandFailed(f"wrote {len(files)} card PNGs for {n} rows")
            r["rate"] = n / r["wall"]
            r["png_bytes"] = sum(os.path.getsize(os.path.join(out, x)) for x in files) / n
            res["png"] = r
            log(f"cards: {r['rate']:.1f} card PNGs/s on {self.nproc} cores, {r['png_bytes'] / 1024:.0f} KiB each")
            shutil.rmtree(out, ignore_errors=True)
        except Exception as error:
            self.skip("cards, PNG", str(error))
        for name, rows_csv, rows in (("pdf", csv, n), ("pdf_small", csv_small, small)):
            try:
                out = os.path.join(folder, name)
                r = issue(rows_csv, "pdf", out)
                pdf = os.path.join(out, "tickets.pdf")
                pages = (rows + 7) // 8
                info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True)
                found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
                if found and int(found.group(1)) != pages:
                    raise CommandFailed(f"the PDF has {found.group(1)} pages for {rows} rows")
                r.update({"rows": rows, "pages": pages, "rate": pages / r["wall"], "bytes": os.path.getsize(pdf),
                          "bytes_per_page": os.path.getsize(pdf) / pages})
                res[name] = r
                log(f"cards {name}: {r['rate']:.1f} pages/s, {r['bytes_per_page'] / 1024:.1f} KiB/page, "
                    f"peak RSS {r['rss_kb'] / 1024:.0f} MiB")
                shutil.rmtree(out, ignore_errors=True)
            except Exception as error:
                self.skip(f"cards, {name}", str(error))

    def run_metrics_script(self, args, section, what, script):
        """Runs a measuring script that prints `name = value` lines; its result, with the metrics,
        goes into the section's results (a failure is reported as not measured)."""
        start = time.perf_counter()
        proc = subprocess.run(args, capture_output=True, text=True)
        res = {"wall": time.perf_counter() - start, "exit": proc.returncode, "output": proc.stdout.strip()}
        self.results["sections"][section] = res
        if proc.returncode != 0:
            self.skip(what, f"{script} exit {proc.returncode}: {proc.stderr.strip()[-400:]}")
        metrics = {}
        for line in proc.stdout.splitlines():
            m = re.match(r"^\s*([a-z_][a-z0-9_]*)\s*=\s*(.+?)\s*$", line)
            if m:
                metrics[m.group(1)] = m.group(2)
        res["metrics"] = metrics
        res["error_tail"] = proc.stderr.strip()[-2000:]
        if metrics:
            log(f"{section}: " + ", ".join(f"{k} {v}" for k, v in metrics.items()))
        return res

    def section_sync(self):
        script = os.path.join(self.here, "sync.sh")
        folder = self.path("sync")
        # Full and quick alike: 100,000 doses to the loopback FHIR receiver (quick: 20,000).
        args = ["bash", script, "--bin-dir", os.path.dirname(self.bin), "--work", folder] + (["--doses", "20000"] if self.quick else [])
        before = None
        baseline_dir = os.path.dirname(self.baseline) if self.baseline else None
        if baseline_dir and os.access(os.path.join(baseline_dir, "fhir-receiver"), os.X_OK):
            # The build this change started from (its vaxticket and fhir-receiver), just before ours.
            before_args = [baseline_dir if a == os.path.dirname(self.bin) else a for a in args]
            before = self.run_metrics_script(before_args, "sync", "registry sync, before", "sync.sh")
            shutil.rmtree(folder, ignore_errors=True)
        res = self.run_metrics_script(args, "sync", "registry sync", "sync.sh")
        res.pop("error_tail")
        if before:
            res["before"] = before.get("metrics", {})
        shutil.rmtree(folder, ignore_errors=True)

    def run(self, only):
        self.results["loadavg_start"] = os.getloadavg()
        self.results["started"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        git = subprocess.run(["git", "-C", self.repo, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        self.results["commit"] = git.stdout.strip() or "?"
        sections = [("encode", self.section_encode), ("photos", self.section_photos),
                    ("simulated", self.section_simulated), ("effort", self.section_effort),
                    ("large", self.section_large),
                    ("tickets", self.section_tickets), ("record", self.section_record), ("cards", self.section_cards),
                    ("sync", self.section_sync)]
        for name, fn in sections:
            if only and name not in only:
                continue
            log(f"section {name}...")
            start = time.perf_counter()
            try:
                fn()
            except Exception as error:
                traceback.print_exc()
                self.skip(name, f"section failed: {error}")
            self.results.setdefault("section_seconds", {})[name] = time.perf_counter() - start
        self.results["loadavg_end"] = os.getloadavg()
        return self.results


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repo", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--bin", required=True)
    p.add_argument("--cref", required=True)
    p.add_argument("--photos")
    p.add_argument("--baseline", help="an earlier vaxticket build to measure side by side as \"before\"")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--seed", type=int, help="the fresh photo sets' seed (default: new every run)")
    p.add_argument("--only", default="")
    p.add_argument("--results", required=True)
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    bench = Bench(args)
    results = bench.run([s for s in args.only.split(",") if s])
    results["nproc"] = bench.nproc
    with open(args.results, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
