"""The phone page in Debian's Chromium, driven by Playwright, against a real `vaxticket serve`.

Run by scripts/test after the Swift tests (pytest Tests/Browser). The server is the debug build
(or VAXTICKET_BIN) on 127.0.0.1 with a throwaway keyring holding an HMAC key (two VT1 tickets) and
the Ed25519 key that replaced it (VT2 tickets), a fresh SQLite database per test, a roster and
one officer. The page's camera is Chromium's fake device and its QR reader a stand-in
BarcodeDetector (docs/phone-page.md) that yields the ticket texts a test pushes. Screenshots go
to .build/browser-artefacts/.
"""

import base64
import csv
import json
import os
import sqlite3
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("VAXTICKET_BIN", ROOT / ".build/debug/vaxticket"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTEFACTS = ROOT / ".build/browser-artefacts"
TIMEOUT = 30_000

STAND_IN = """
window.__tickets = [];
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code"]; }
  constructor(options) { this.options = options; }
  async detect(source) {
    const text = window.__tickets.shift();
    return text ? [{ rawValue: text, format: "qr_code" }] : [];
  }
};
"""


def run(*arguments, env, check=True):
    result = subprocess.run(
        [str(BINARY), *arguments], env=env, capture_output=True, text=True, timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(f"vaxticket {' '.join(arguments)}: {result.stderr}")
    return result


class Tickets:
    """Tickets made with the command line, as a city would make them."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.env = dict(os.environ, VAXTICKET_KEYRING=str(folder / "keyring.json"))
        today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
        self.today = today
        until = today + timedelta(days=29)
        roster = [["registrant", "nik", "name", "birth_date", "group", "phone"]]

        def issue(name, rows):
            path = folder / f"{name}.csv"
            with path.open("w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["registrant", "dose", "vaccine", "site", "group", "valid_from", "valid_until"])
                writer.writerows(rows)
            run("issue", "--csv", str(path), "--out-dir", str(folder / name), "--format", "text", env=self.env)
            texts = (folder / name / "tickets.txt").read_text().splitlines()
            with (folder / name / "manifest.csv").open() as handle:
                serials = [row["serial"] for row in csv.DictReader(handle)]
            return texts, serials

        def row(registrant, first=today, last=until):
            roster.append([registrant, "3171" + registrant[-12:], f"Warga {registrant[-4:]}", "1980-02-03", "GENERAL", "081234567890"])
            return [registrant, 1, "CORONAVAC", "JKT01", "GENERAL", first.isoformat(), last.isoformat()]

        run("keys", "new", env=self.env)
        self.vt1, _ = issue("vt1", [row(f"21082300001{i:05d}") for i in range(4)])
        run("keys", "rotate", "--algorithm", "ed25519", env=self.env)
        self.valid, _ = issue("valid", [row(f"21082300002{i:05d}") for i in range(40)])
        self.expired, _ = issue(
            "expired",
            [row(f"21082300003{i:05d}", datetime(2021, 8, 1).date(), datetime(2021, 8, 30).date()) for i in range(2)],
        )
        self.revoked, serials = issue("revoked", [row(f"21082300004{i:05d}") for i in range(2)])
        run("revoke", *serials, "--reason", "test", env=self.env)
        self.forged = [forge(text) for text in self.valid[-2:]]
        self.photo = folder / "photo.png"
        registrant = "2108230000500001"
        row(registrant)
        run("issue", "--out", str(self.photo), "--registrant", registrant,
            "--dose", "1", "--vaccine", "CORONAVAC", "--site", "JKT01", env=self.env)
        self.roster = folder / "roster.csv"
        with self.roster.open("w", newline="") as handle:
            csv.writer(handle).writerows(roster)
        assert all(text.startswith("VT1:") for text in self.vt1)
        assert all(text.startswith("VT2:") for text in self.valid)


def forge(text):
    """The text with one character of its signature changed."""
    characters = list(text)
    characters[-3] = "B" if characters[-3] == "A" else "A"
    return "".join(characters)


class Server:
    """`vaxticket serve` on a free loopback port over a fresh database."""

    def __init__(self, tickets: Tickets, folder: Path):
        self.env = dict(tickets.env, VAXTICKET_DB=str(folder / "doses.sqlite"))
        self.db = folder / "doses.sqlite"
        run("roster", "import", str(tickets.roster), env=self.env)
        self.token = run("officers", "add", "OFC1", env=self.env).stdout.strip().splitlines()[-1]
        self.process = subprocess.Popen(
            [str(BINARY), "serve", "--port", "0", "--rate-limit", "0", "--log-level", "warning"],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.process.stdout.readline()
        assert line.startswith("listening on "), line
        self.url = line.split()[2].rstrip("/")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    def doses(self):
        return json.loads(run("stats", "--json", env=self.env).stdout)["total"]

    def queued_scans(self):
        with sqlite3.connect(self.db) as db:
            return db.execute("SELECT count(*) FROM queued_scan").fetchone()[0]


@pytest.fixture(scope="session")
def tickets(tmp_path_factory):
    return Tickets(tmp_path_factory.mktemp("tickets"))


@pytest.fixture
def server(tickets, tmp_path):
    started = Server(tickets, tmp_path)
    yield started
    started.stop()


@pytest.fixture(scope="session")
def browser():
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--no-sandbox"],
        )
        yield launched
        launched.close()


POLICY_VIOLATIONS = []


@pytest.fixture(autouse=True)
def no_policy_violations():
    POLICY_VIOLATIONS.clear()
    yield
    assert POLICY_VIOLATIONS == []


def phone(browser):
    """A fresh phone: its own storage, a phone-sized window, the stand-in detector."""
    context = browser.new_context(viewport={"width": 412, "height": 880}, permissions=["camera"])
    context.add_init_script(STAND_IN)
    context.set_default_timeout(TIMEOUT)
    # The page must run under its content security policy without a single refusal.
    context.on(
        "console",
        lambda message: POLICY_VIOLATIONS.append(message.text)
        if "Content Security Policy" in message.text
        else None,
    )
    return context


def sign_in(context, server):
    page = context.new_page()
    page.goto(f"{server.url}/#token={server.token}")
    page.wait_for_selector("html[data-ready=true]")
    assert page.input_value("#token") == server.token
    # The fragment only filled the form; the tap signs in.
    assert page.is_visible("#signin")
    page.click("#sign-in")
    page.wait_for_selector("#scanner:not([hidden])")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    return page


def scan(page, text):
    """Shows `text` to the camera and returns the verdict shown at once."""
    seq = int(page.get_attribute("#verdict", "data-seq"))
    page.evaluate("text => window.__tickets.push(text)", text)
    page.click("#scan")
    page.wait_for_function("seq => document.getElementById('verdict').dataset.seq === seq", arg=str(seq + 1))
    return page.get_attribute("#verdict", "data-outcome"), page.get_attribute("#verdict", "data-provisional")


def final(page):
    page.wait_for_selector("#verdict[data-provisional=false]")
    return page.get_attribute("#verdict", "data-outcome")


def counter(page):
    element = page.locator("#queue")
    return {name: int(element.get_attribute(f"data-{name}")) for name in ("waiting", "sent", "attention")}


def drained(page, sent, attention=None):
    # A function, not a string to evaluate: the page's policy forbids eval.
    page.wait_for_function(
        """([sent, attention]) => {
            const q = document.getElementById("queue").dataset;
            return q.waiting === "0" && q.sent === sent && (attention === null || q.attention === attention);
        }""",
        arg=[str(sent), None if attention is None else str(attention)],
        timeout=60_000,
    )


def cli_outcomes(server, texts, command):
    """The outcomes `verify` or `record` gives the same ticket texts, in order."""
    payloads = Path(server.db).with_name(f"{command}-payloads.txt")
    payloads.write_text("\n".join(texts) + "\n")
    env = dict(server.env, VAXTICKET_DB=str(Path(server.db).with_name(f"{command}.sqlite")))
    arguments = ["--payloads", str(payloads), "--json"]
    if command == "record":
        arguments += ["--officer", "CLI", "--station", "CLI"]
    result = run(command, *arguments, env=env, check=False)
    key = "outcome" if command == "record" else "code"
    return [json.loads(line)[key] for line in result.stdout.splitlines() if line.startswith("{")]


def test_online_valid_rescan_forged(browser, server, tickets):
    context = phone(browser)
    page = sign_in(context, server)
    # Installable: Chromium finds nothing missing (manifest, icon, service worker); a
    # Playwright context is an incognito profile, which Chromium never installs to.
    errors = context.new_cdp_session(page).send("Page.getInstallabilityErrors")
    assert [error["errorId"] for error in errors["installabilityErrors"]] in ([], ["in-incognito"])
    assert scan(page, tickets.valid[0])[0] == "recorded"
    assert final(page) == "recorded"
    assert "Warga" in page.inner_text("#verdict")
    assert scan(page, tickets.valid[0])[0] == "already_recorded"
    assert final(page) == "already_recorded"
    assert "OFC1" in page.inner_text("#verdict")
    assert scan(page, tickets.forged[0])[0] == cli_outcomes(server, [tickets.forged[0]], "verify")[0]
    assert final(page) == "bad_signature"
    drained(page, 3, 0)
    assert server.doses() == 1
    context.close()


def test_offline_thirty_scans_reconciled_exactly_once(browser, server, tickets):
    context = phone(browser)
    page = sign_in(context, server)
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#scanner:not([hidden])")
    assert page.inner_text("#network") == "Luring"

    valid = tickets.valid[:20]
    plan = (
        [(text, "recorded") for text in valid[:10]]
        + [(tickets.forged[0], "bad_signature"), (tickets.revoked[0], "revoked")]
        + [(tickets.expired[0], "expired"), (tickets.vt1[0], "queued")]
        + [(valid[3], "already_recorded")]
        + [(text, "recorded") for text in valid[10:]]
        + [(tickets.forged[1], "bad_signature"), (tickets.revoked[1], "revoked")]
        + [(tickets.expired[1], "expired"), (tickets.vt1[1], "queued"), (valid[12], "already_recorded")]
    )
    assert len(plan) == 30
    shown = []
    for text, _ in plan:
        shown.append(scan(page, text))
        if len(shown) == 1:
            page.screenshot(path=str(ARTEFACTS / "phone-offline-verdict.png"))
    assert shown == [(outcome, "true") for _, outcome in plan]
    assert counter(page) == {"waiting": 30, "sent": 0, "attention": 0}

    # A reload while offline keeps the queue.
    page.reload()
    page.wait_for_selector("#scanner:not([hidden])")
    assert counter(page)["waiting"] == 30
    assert server.doses() == 0

    context.set_offline(False)
    drained(page, 30, 0)
    assert server.doses() == 22
    assert server.queued_scans() == 30
    finals = page.evaluate(
        """async () => {
            const db = await new Promise((resolve, reject) => {
              const request = indexedDB.open("vaxticket");
              request.onsuccess = () => resolve(request.result);
              request.onerror = () => reject(request.error);
            });
            const scans = await new Promise((resolve) => {
              const request = db.transaction("scans").objectStore("scans").getAll();
              request.onsuccess = () => resolve(request.result);
            });
            return scans.map((scan) => scan.final.outcome);
        }"""
    )
    texts = [text for text, _ in plan]
    assert finals == cli_outcomes(server, texts, "record")
    verified = cli_outcomes(server, texts, "verify")
    assert [v for v, (_, o) in zip(verified, plan) if o not in ("already_recorded", "queued", "recorded")] == [
        o for _, o in plan if o not in ("already_recorded", "queued", "recorded")
    ]
    context.close()


def test_page_closed_mid_upload(browser, server, tickets):
    context = phone(browser)
    page = sign_in(context, server)
    context.set_offline(True)
    for text in tickets.valid[20:30]:
        assert scan(page, text)[0] == "recorded"
    cut = []

    def record_then_cut(route):
        # The server records the batch, then the connection is lost before the phone hears.
        route.fetch()
        cut.append(True)
        route.abort()

    context.route("**/api/v1/scans/batch", record_then_cut)
    context.set_offline(False)
    page.wait_for_function("() => navigator.onLine")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    deadline = datetime.now() + timedelta(seconds=30)
    while not cut and datetime.now() < deadline:
        page.wait_for_timeout(50)
    assert cut
    page.close()
    context.unroute("**/api/v1/scans/batch")
    assert server.doses() == 10

    reopened = context.new_page()
    reopened.goto(server.url + "/")
    reopened.wait_for_selector("#scanner:not([hidden])")
    drained(reopened, 10, 0)
    assert server.doses() == 10
    assert server.queued_scans() == 10
    context.close()


def test_two_phones_same_ticket_offline(browser, server, tickets):
    first, second = phone(browser), phone(browser)
    pages = [sign_in(first, server), sign_in(second, server)]
    first.set_offline(True)
    second.set_offline(True)
    ticket = tickets.valid[35]
    for page in pages:
        assert scan(page, ticket) == ("recorded", "true")
    first.set_offline(False)
    drained(pages[0], 1, 0)
    second.set_offline(False)
    drained(pages[1], 1, 1)
    assert server.doses() == 1
    assert final(pages[1]) == "already_recorded"
    pages[1].click("#queue-attention")
    pages[1].wait_for_selector("#attention-list li[data-scan-id]")
    entries = pages[1].locator("#attention-list li[data-scan-id]")
    assert entries.count() == 1
    assert entries.first.get_attribute("data-shown") == "recorded"
    assert entries.first.get_attribute("data-final") == "already_recorded"
    assert "Warga" in entries.first.inner_text()
    pages[1].locator("#attention").scroll_into_view_if_needed()
    pages[1].screenshot(path=str(ARTEFACTS / "phone-needs-attention.png"))
    entries.first.locator("button.acknowledge").click()
    pages[1].wait_for_function("() => document.getElementById('queue').dataset.attention === '0'")
    assert pages[1].locator("#attention-list li[data-scan-id]").count() == 0
    first.close()
    second.close()


def test_indonesian_by_default_english_remembered(browser, server, tickets):
    context = phone(browser)
    page = context.new_page()
    page.goto(server.url + "/")
    page.wait_for_selector("html[data-ready=true]")
    assert page.get_attribute("html", "lang") == "id"
    assert page.inner_text("#sign-in") == "Masuk"
    assert page.inner_text("label[for=token]") == "Token petugas"
    page.click("#language")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#sign-in") == "Sign in"
    page.reload()
    page.wait_for_selector("html[data-ready=true]")
    assert page.inner_text("#sign-in") == "Sign in"
    page.fill("#token", server.token)
    page.click("#sign-in")
    page.wait_for_selector("#scanner:not([hidden])")
    scan(page, tickets.valid[36])
    final(page)
    text = page.inner_text("#verdict")
    assert "Give dose 1" in text and "Final: the server's answer" in text
    # Dates in English, in the programme's time zone.
    month = tickets.today.strftime("%b")
    assert month in text
    assert page.inner_text("#bundle-info").startswith("Keys and rules from")
    page.click("#language")
    text = page.inner_text("#verdict")
    assert "Berikan dosis 1" in text and "Pasti" in text
    assert page.inner_text("#bundle-info").startswith("Data kunci dan aturan")
    assert page.inner_text("#queue-sent") == "1 terkirim"
    context.close()


def test_photo_taken_offline_is_queued_then_read_by_the_server(browser, server, tickets):
    context = phone(browser)
    page = sign_in(context, server)
    context.set_offline(True)
    page.set_input_files("#photo", str(tickets.photo))
    page.wait_for_selector("#verdict[data-outcome=queued][data-provisional=true]")
    assert counter(page)["waiting"] == 1
    context.set_offline(False)
    assert final(page) == "recorded"
    drained(page, 1, 0)
    assert server.doses() == 1
    context.close()


def test_golden_vectors_checked_on_the_phone(browser, server):
    """The page's ticket.js on every golden vector: what the server's verifier says of a VT2
    ticket, `malformed` for what is no ticket, and `queued` (the server decides) for a VT1 one."""
    vectors = [json.loads(path.read_text()) for path in sorted((ROOT / "samples/vectors").glob("*.json"))]
    assert len(vectors) >= 25
    cases = []
    for vector in vectors:
        keys = []
        for key in vector["keyring"]:
            entry = {
                "id": key["id"], "algorithm": key.get("algorithm", "hmac-sha256"), "state": key["state"],
                "created": key["created"],
            }
            if "public_key_hex" in key:
                entry["publicKey"] = base64.b64encode(bytes.fromhex(key["public_key_hex"])).decode()
            if key["state"] != "active":
                entry["stoppedSigning"] = key["created"]
            keys.append(entry)
        expected = vector["expected"]["code"]
        if expected != "malformed" and vector["text"].startswith("VT1:"):
            expected = "queued"
        cases.append({
            "name": vector["name"], "text": vector["text"], "expected": expected,
            "at": vector["clock"]["at"] + "T12:00:00+07:00", "zone": vector["clock"]["time_zone"],
            "keys": keys, "revoked": [{"serial": serial} for serial in vector["revoked"]],
            "ticket": vector["ticket"] if vector["text"].startswith("VT2:") and expected != "malformed" else None,
        })
    context = phone(browser)
    page = context.new_page()
    page.goto(server.url + "/")
    page.wait_for_selector("html[data-ready=true]")
    results = page.evaluate(
        """async ([token, cases]) => {
            const { OfflineVerifier } = await import("/ticket.js");
            const response = await fetch("/api/v1/offline-bundle", { headers: { Authorization: "Bearer " + token } });
            const served = await response.json();
            const results = [];
            for (const vector of cases) {
              const bundle = Object.assign({}, served, {
                timeZone: vector.zone, stoppedSigningDays: {},
                publicKeys: { format: "vaxticket-public-keys-1", keys: vector.keys, revoked: vector.revoked, maxValidityDays: 90 },
              });
              const checked = await new OfflineVerifier(bundle).verify(vector.text, new Date(vector.at));
              results.push({ name: vector.name, outcome: checked.outcome, ticket: checked.ticket || null });
            }
            return results;
        }""",
        [server.token, cases],
    )
    for case, result in zip(cases, results):
        assert result["outcome"] == case["expected"], case["name"]
        if case["ticket"] and result["ticket"]:
            ticket = result["ticket"]
            expected = case["ticket"]
            assert (ticket["serial"], ticket["registrant"], ticket["dose"], ticket["vaccine"], ticket["group"],
                    ticket["site"], ticket["validFrom"], ticket["validUntil"], ticket["keyID"]) == (
                expected["serial"], expected["registrant"], expected["dose"], expected["vaccine"], expected["group"],
                expected["site"], expected["valid_from"], expected["valid_until"], expected["key_id"]), case["name"]
    assert sum(1 for case in cases if case["expected"] not in ("queued", "malformed")) >= 8
    context.close()


def test_busy_server_backoff_then_drain(browser, server, tickets):
    """A server that answers 503 with Retry-After: the page waits, tries again, and every scan is
    recorded once when it answers."""
    context = phone(browser)
    page = sign_in(context, server)
    attempts = []

    def busy_twice(route):
        attempts.append(datetime.now())
        if len(attempts) <= 2:
            route.fulfill(
                status=503, headers={"Retry-After": "1", "Content-Type": "application/json"},
                body='{"error":"busy","message":"the server is busy; try again in a second"}',
            )
        else:
            route.continue_()

    context.set_offline(True)
    for text in tickets.valid[37:40]:
        scan(page, text)
    context.route("**/api/v1/scans/batch", busy_twice)
    context.set_offline(False)
    drained(page, 3, 0)
    assert server.doses() == 3
    assert len(attempts) == 3
    # The second try waited the Retry-After second, the third the doubled backoff.
    gaps = [(b - a).total_seconds() for a, b in zip(attempts, attempts[1:])]
    assert gaps[0] >= 0.9 and gaps[1] >= 1.8, gaps
    context.close()
