// The phone page: sign in once, scan with the camera (BarcodeDetector) or a photo, decide at
// once on the phone, queue every scan in IndexedDB, and reconcile the queue with the server
// whenever there is signal. docs/phone-page.md describes the hooks and the behaviour.
import { LANGUAGES, words, formatInstant, formatDay } from "./i18n.js";
import { OfflineVerifier } from "./ticket.js";
import * as queue from "./queue.js";

const $ = (id) => document.getElementById(id);
const local = window.localStorage;
const GIVE = new Set(["recorded", "recorded_other_site"]);
const RECORDED = new Set(["recorded", "recorded_other_site", "already_recorded"]);
const BATCH_BYTES = 8 * 1024 * 1024;

let language = LANGUAGES.includes(local.getItem("vaxticket.lang")) ? local.getItem("vaxticket.lang") : "id";
let bundle = null;
let verifier = null;
let current = null;
let shownCount = 0;
let detector = null, stream = null, scanning = false;
let draining = false, drainAgain = false, backoff = 1000, retryTimer = null, needsSignIn = false;

const t = () => words(language);

// MARK: - Language

function applyLanguage() {
  document.documentElement.lang = language;
  for (const element of document.querySelectorAll("[data-text]")) {
    const text = t()[element.dataset.text];
    if (typeof text === "string") element.textContent = text;
  }
  $("language").textContent = t().switchTo;
  $("language").lang = language === "id" ? "en" : "id";
  document.title = t().title;
  if (shownCount > 0) $("scan").textContent = t().scanNext;
  showNetwork();
  if (bundleEntry) useBundle(bundleEntry);
  else showOfficer();
  if (current) showVerdict(current);
  refreshCounter();
  showAttention();
}

$("language").addEventListener("click", () => {
  language = language === "id" ? "en" : "id";
  local.setItem("vaxticket.lang", language);
  applyLanguage();
});

// MARK: - Signing in and the offline bundle

function show(section) {
  $("signin").hidden = section !== "signin";
  $("scanner").hidden = section !== "scanner";
  $("signout").hidden = section === "signin";
}

function api(path, options = {}, token = local.getItem("vaxticket.token")) {
  const headers = Object.assign({ Authorization: `Bearer ${token}` }, options.headers || {});
  return fetch(path, Object.assign({}, options, { headers, cache: "no-store" }));
}

/** Fetches the bundle: "ok", "unauthorized" or "offline". */
async function refreshBundle(token = local.getItem("vaxticket.token")) {
  if (!token) return "unauthorized";
  const kept = await queue.load("bundle");
  const headers = {};
  if (kept && kept.token === token) headers["If-None-Match"] = kept.etag;
  let response;
  try {
    response = await api("/api/v1/offline-bundle", { headers }, token);
  } catch (error) {
    return "offline";
  }
  if (response.status === 401) return "unauthorized";
  if (response.status === 304 && kept) {
    kept.checkedAt = new Date().toISOString();
    await queue.save("bundle", kept);
    useBundle(kept);
    return "ok";
  }
  if (response.status !== 200) return "offline";
  let body;
  try { body = await response.json(); } catch (error) { return "offline"; }
  const entry = {
    token, etag: response.headers.get("ETag"), bundle: body,
    checkedAt: new Date().toISOString(), offsetMs: Date.parse(body.serverTime) - Date.now(),
  };
  await queue.save("bundle", entry);
  useBundle(entry);
  return "ok";
}

let bundleEntry = null;

function useBundle(entry) {
  bundleEntry = entry;
  if (!bundle || bundle.version !== entry.bundle.version) {
    bundle = entry.bundle;
    verifier = new OfflineVerifier(bundle);
  }
  const skew = bundle.rules.clockSkewSeconds * 1000;
  const off = Math.abs(entry.offsetMs || 0);
  $("clock-warning").hidden = off <= skew;
  $("clock-warning").textContent = t().clockOff(Math.round(off / 60000));
  $("bundle-info").textContent = t().bundle(formatInstant(entry.checkedAt, language, bundle.timeZone));
  showOfficer();
}

function showOfficer() {
  if (bundle) $("officer").textContent = t().signedIn(bundle.officer.name, bundle.officer.site);
  else $("bundle-info").textContent = t().noBundle;
}

async function signIn(token) {
  $("signin-error").textContent = "";
  const result = await refreshBundle(token);
  if (result === "unauthorized") {
    $("signin-error").textContent = t().badToken;
    return;
  }
  const kept = await queue.load("bundle");
  if (result === "offline" && !(kept && kept.token === token)) {
    $("signin-error").textContent = t().needSignal;
    return;
  }
  if (result === "offline") useBundle(kept);
  local.setItem("vaxticket.token", token);
  $("token").value = "";
  needsSignIn = false;
  show("scanner");
  drain();
}

$("signin").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn($("token").value.trim());
});

$("signout").addEventListener("click", async () => {
  const waiting = (await queue.all()).filter((scan) => scan.state === "waiting").length;
  if (waiting > 0) {
    $("status").textContent = t().keepSignedIn(waiting);
    return;
  }
  stopCamera();
  local.removeItem("vaxticket.token");
  $("token").value = "";
  show("signin");
});

for (const field of ["lot", "station"]) {
  $(field).addEventListener("change", () => local.setItem(`vaxticket.${field}`, $(field).value.trim()));
}

// MARK: - Deciding and queueing

function ticketFacts(ticket) {
  if (!ticket) return {};
  const { serial, registrant, dose, vaccine, group, site, validFrom, validUntil } = ticket;
  return { serial, registrant, dose, vaccine, group, site, validFrom, validUntil };
}

/** What the phone can say of `text` now, without the server. */
async function decide(text, now) {
  if (!verifier) return { outcome: "queued" };
  const checked = await verifier.verify(text, now);
  const facts = ticketFacts(checked.ticket);
  if (checked.outcome !== "valid") return Object.assign({ outcome: checked.outcome }, facts);
  const ticket = checked.ticket;
  const earlier = (await queue.all()).find((scan) => scan.shown && scan.shown.serial === ticket.serial
    && (scan.final ? RECORDED.has(scan.final.outcome) : GIVE.has(scan.shown.outcome)));
  if (earlier) {
    return Object.assign({
      outcome: "already_recorded",
      earlier: { scannedAt: earlier.scannedAt, station: earlier.station, lot: earlier.lot },
    }, facts);
  }
  const allowed = bundle.rules.policy.doses.some((rule) => rule.dose === ticket.dose
    && (rule.groups.includes("*") || rule.groups.includes(ticket.group)));
  if (!allowed) return Object.assign({ outcome: "not_eligible" }, facts);
  const site = bundle.officer.site;
  return Object.assign({ outcome: site && site !== ticket.site ? "recorded_other_site" : "recorded" }, facts);
}

function fields() {
  const station = $("station").value.trim() || local.getItem("vaxticket.station") || "phone";
  const lot = $("lot").value.trim();
  return { station: station.slice(0, 64), lot: lot ? lot.slice(0, 64) : null };
}

async function handleText(text) {
  const now = new Date();
  const shown = await decide(text, now);
  const scan = Object.assign({
    id: queue.newScanID(), ticket: text, scannedAt: now.toISOString(), state: "waiting",
    shown, final: null, attention: false, acknowledged: false,
  }, fields());
  await queue.add(scan);
  present(scan);
  drain();
}

async function handlePhoto(file) {
  const scan = Object.assign({
    id: queue.newScanID(), photo: file, scannedAt: new Date().toISOString(), state: "waiting",
    shown: { outcome: "queued" }, final: null, attention: false, acknowledged: false,
  }, fields());
  await queue.add(scan);
  present(scan);
  drain();
}

// MARK: - The verdict

function present(scan) {
  current = scan;
  shownCount += 1;
  $("verdict").dataset.seq = String(shownCount);
  showVerdict(scan);
  refreshCounter();
  beep(GIVE.has(scan.shown.outcome));
  $("scan").textContent = t().scanNext;
}

function title(outcome, dose) {
  if (GIVE.has(outcome)) return t().give(dose);
  if (outcome === "already_recorded") return t().alreadyRecorded;
  if (outcome === "queued") return t().notChecked;
  if (outcome === "rejected") return t().failed;
  return t().doNot;
}

function verdictClass(outcome) {
  if (GIVE.has(outcome)) return "ok";
  if (outcome === "queued") return "queued";
  if (outcome === "rejected") return "error";
  return "refused";
}

function showVerdict(scan) {
  const element = $("verdict");
  const provisional = !scan.final;
  const view = scan.final || scan.shown;
  const zone = bundle ? bundle.timeZone : "Asia/Jakarta";
  element.hidden = false;
  element.className = verdictClass(view.outcome);
  element.dataset.outcome = view.outcome;
  element.dataset.provisional = String(provisional);
  element.dataset.scanId = scan.id;
  $("verdict-title").textContent = title(view.outcome, view.dose ?? scan.shown.dose);
  $("verdict-note").textContent = provisional ? t().provisional : t().final;
  $("verdict-reason").textContent = (provisional && t().pending[view.outcome])
    || t().outcomes[view.outcome] || view.message || view.outcome;
  const details = $("verdict-details");
  details.textContent = "";
  const names = t().fields;
  const add = (term, value) => addDetail(details, term, value);
  add(names.name, view.name);
  add(names.registrant, view.registrant ?? scan.shown.registrant);
  add(names.dose, view.dose ?? scan.shown.dose);
  add(names.vaccine, view.vaccine ?? scan.shown.vaccine);
  if (scan.shown.validFrom) {
    add(names.valid, `${formatDay(scan.shown.validFrom, language)} – ${formatDay(scan.shown.validUntil, language)}`);
  }
  add(names.lot, scan.final ? scan.final.lot : scan.lot);
  add(names.scannedAt, formatInstant(scan.scannedAt, language, zone));
  if (view.outcome === "already_recorded") {
    const earlier = scan.final || scan.shown.earlier || {};
    add(names.recorded, earlier.administeredAt || earlier.scannedAt
      ? formatInstant(earlier.administeredAt || earlier.scannedAt, language, zone) : null);
    add(names.officer, earlier.officer);
    add(names.station, earlier.station);
    add(names.site, earlier.site);
  }
  add(names.code, view.outcome);
}

// One term and its value in a details list; nothing for an empty value.
function addDetail(details, term, value) {
  if (value === null || value === undefined || value === "") return;
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = String(value);
  details.append(dt, dd);
}

function beep(ok) {
  try { if (navigator.vibrate) navigator.vibrate(ok ? 120 : [300, 120, 300]); } catch (error) { /* none */ }
  try {
    const audio = new (window.AudioContext || window.webkitAudioContext)();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = ok ? 880 : 220;
    gain.gain.value = 0.2;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + (ok ? 0.15 : 0.5));
  } catch (error) { /* no sound */ }
}

// MARK: - The counter and the needs-attention list

async function refreshCounter() {
  const scans = await queue.all();
  const waiting = scans.filter((scan) => scan.state === "waiting").length;
  const sent = scans.filter((scan) => scan.state === "sent").length;
  const attention = scans.filter((scan) => scan.attention && !scan.acknowledged).length;
  const counter = $("queue");
  counter.dataset.waiting = String(waiting);
  counter.dataset.sent = String(sent);
  counter.dataset.attention = String(attention);
  $("queue-waiting").textContent = t().waiting(waiting);
  $("queue-sent").textContent = t().sent(sent);
  $("queue-attention").textContent = t().attention(attention);
}

async function showAttention() {
  const list = $("attention-list");
  const open = (await queue.all()).filter((scan) => scan.attention && !scan.acknowledged);
  const zone = bundle ? bundle.timeZone : "Asia/Jakarta";
  list.textContent = "";
  for (const scan of open) {
    const item = document.createElement("li");
    item.dataset.scanId = scan.id;
    item.dataset.shown = scan.shown.outcome;
    item.dataset.final = scan.final.outcome;
    const name = document.createElement("strong");
    name.textContent = scan.final.name || scan.final.registrant || scan.shown.registrant || scan.id;
    const details = document.createElement("dl");
    details.className = "details";
    const add = (term, value) => addDetail(details, term, value);
    const names = t().fields;
    add(names.registrant, scan.final.registrant || scan.shown.registrant);
    add(names.scannedAt, formatInstant(scan.scannedAt, language, zone));
    add(t().shownThen, title(scan.shown.outcome, scan.shown.dose));
    add(t().serverSays, `${title(scan.final.outcome, scan.final.dose)}: ${t().outcomes[scan.final.outcome] || scan.final.message}`);
    if (scan.final.outcome === "already_recorded") {
      add(names.recorded, scan.final.administeredAt ? formatInstant(scan.final.administeredAt, language, zone) : null);
      add(names.officer, scan.final.officer);
      add(names.station, scan.final.station);
    }
    add(names.code, scan.final.outcome);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "acknowledge";
    button.textContent = t().acknowledge;
    button.addEventListener("click", async () => {
      scan.acknowledged = true;
      await queue.put(scan);
      await showAttention();
      await refreshCounter();
    });
    item.append(name, details, button);
    list.append(item);
  }
  if (open.length === 0) {
    const none = document.createElement("li");
    none.className = "none";
    none.textContent = t().attentionNone;
    list.append(none);
  }
}

$("queue-attention").addEventListener("click", async () => {
  await showAttention();
  $("attention").hidden = false;
  $("attention").scrollIntoView();
});
$("attention-close").addEventListener("click", () => { $("attention").hidden = true; });

// MARK: - Reconciling with the server

/** Whether the server's final answer asks the officer to look again. */
function differs(shown, final) {
  if (shown === "queued") return !GIVE.has(final);
  if (GIVE.has(shown) !== GIVE.has(final)) return true;
  return !GIVE.has(shown) && shown !== final;
}

async function base64(blob) {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

async function upload(scan) {
  const body = { id: scan.id, scannedAt: scan.scannedAt, station: scan.station };
  if (scan.lot) body.lot = scan.lot;
  if (scan.photo) body.photo = await base64(scan.photo);
  else body.ticket = scan.ticket;
  return body;
}

/** Records the server's answers: each scan leaves the waiting state with its answer. */
async function settle(answers) {
  for (const [scan, final] of answers) {
    scan.final = final;
    scan.state = "sent";
    scan.attention = differs(scan.shown.outcome, final.outcome);
    delete scan.photo;
  }
  await queue.putAll(answers.map(([scan]) => scan));
  for (const [scan] of answers) {
    if (current && current.id === scan.id) {
      current = scan;
      showVerdict(scan);
    }
  }
}

class RetryLater extends Error {
  constructor(seconds) { super("retry"); this.seconds = seconds; }
}

/** Uploads the waiting scans, oldest first, until none is left or the server cannot answer. */
async function drainOnce() {
  let size = bundle ? bundle.rules.maxBatchScans : 50;
  for (;;) {
    const waiting = (await queue.all()).filter((scan) => scan.state === "waiting");
    if (waiting.length === 0) return;
    const batch = [];
    let bytes = 0;
    for (const scan of waiting) {
      const cost = scan.photo ? scan.photo.size * 1.4 : 200;
      if (batch.length >= size || (batch.length > 0 && bytes + cost > BATCH_BYTES)) break;
      batch.push(scan);
      bytes += cost;
    }
    const body = JSON.stringify({ scans: await Promise.all(batch.map(upload)) });
    let response;
    try {
      response = await api("/api/v1/scans/batch", {
        method: "POST", headers: { "Content-Type": "application/json" }, body,
      });
    } catch (error) {
      throw new RetryLater(0);
    }
    if (response.status === 401) {
      needsSignIn = true;
      show("signin");
      $("signin-error").textContent = t().signInAgain;
      return;
    }
    if (response.status === 200) {
      const answer = await response.json();
      const byID = new Map(batch.map((scan) => [scan.id, scan]));
      await settle(answer.results.filter((result) => byID.has(result.id))
        .map((result) => [byID.get(result.id), result.answer]));
      backoff = 1000;
      await refreshCounter();
      continue;
    }
    if ((response.status === 400 || response.status === 413) && batch.length > 1) {
      // One bad scan must not hold the others back: send one at a time to find it.
      size = 1;
      continue;
    }
    if (response.status === 400 || response.status === 413) {
      let message = "";
      try { message = (await response.json()).message; } catch (error) { /* none */ }
      await settle([[batch[0], { outcome: "rejected", message, refused: true }]]);
      await refreshCounter();
      continue;
    }
    throw new RetryLater(Number(response.headers.get("Retry-After")) || 0);
  }
}

async function drain() {
  if (needsSignIn || !local.getItem("vaxticket.token")) return;
  if (draining) { drainAgain = true; return; }
  draining = true;
  clearTimeout(retryTimer);
  try {
    do {
      drainAgain = false;
      // One tab uploads at a time; the server would record each scan once anyway.
      if (navigator.locks) await navigator.locks.request("vaxticket-upload", drainOnce);
      else await drainOnce();
    } while (drainAgain);
  } catch (error) {
    const wait = Math.max(backoff, error instanceof RetryLater ? error.seconds * 1000 : 0);
    backoff = Math.min(backoff * 2, 60000);
    retryTimer = setTimeout(drain, wait);
  } finally {
    draining = false;
    await refreshCounter();
    if (!$("attention").hidden) await showAttention();
  }
}

function showNetwork() {
  const badge = $("network");
  badge.textContent = navigator.onLine ? t().online : t().offline;
  badge.classList.toggle("offline", !navigator.onLine);
}

window.addEventListener("online", () => {
  showNetwork();
  backoff = 1000;
  refreshBundle().then((result) => { if (result === "unauthorized") needsSignIn = true; });
  drain();
});
window.addEventListener("offline", showNetwork);

// MARK: - Scanning

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function startScanning() {
  if (!detector) {
    $("status").textContent = t().noDetector;
    return;
  }
  if (!stream) {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (error) {
      $("status").textContent = t().noCamera;
      return;
    }
    const video = $("video");
    video.srcObject = stream;
    video.hidden = false;
    video.play().catch(() => undefined);
  }
  if (scanning) return;
  scanning = true;
  $("status").textContent = t().pointCamera;
  while (scanning) {
    let codes = [];
    try { codes = await detector.detect($("video")); } catch (error) { codes = []; }
    const code = codes.find((entry) => entry && entry.rawValue);
    if (code) {
      scanning = false;
      $("status").textContent = "";
      await handleText(code.rawValue);
      return;
    }
    await sleep(120);
  }
}

function stopCamera() {
  scanning = false;
  if (stream) { for (const track of stream.getTracks()) track.stop(); stream = null; }
  $("video").hidden = true;
}

$("scan").addEventListener("click", startScanning);
$("photo").addEventListener("change", () => {
  const file = $("photo").files[0];
  if (file) handlePhoto(file);
  $("photo").value = "";
});

// MARK: - Start

async function start() {
  applyLanguage();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => undefined);
  }
  if ("BarcodeDetector" in window) {
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (error) { detector = null; }
  }
  // `#token=…` only fills the sign-in form; nothing in an address signs in or scans by itself.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.has("token")) $("token").value = fragment.get("token");
  if (location.hash) history.replaceState(null, "", location.pathname);
  if (!local.getItem("vaxticket.station")) {
    local.setItem("vaxticket.station", `phone-${queue.newScanID().slice(0, 6)}`);
  }
  $("station").value = local.getItem("vaxticket.station");
  $("lot").value = local.getItem("vaxticket.lot") || "";
  const kept = await queue.load("bundle");
  const token = local.getItem("vaxticket.token");
  if (token && kept && kept.token === token) {
    useBundle(kept);
    show("scanner");
    const days = bundle.rules.queueDays + 1;
    await queue.prune(new Date(Date.now() - days * 86400000).toISOString());
    refreshBundle().then((result) => {
      if (result === "unauthorized") {
        needsSignIn = true;
        show("signin");
        $("signin-error").textContent = t().signInAgain;
      }
    });
    drain();
  } else {
    show("signin");
  }
  await refreshCounter();
  setInterval(() => { if (navigator.onLine) refreshBundle(); }, 5 * 60 * 1000);
  setInterval(() => { if (navigator.onLine) drain(); }, 20 * 1000);
  document.documentElement.dataset.ready = "true";
}

start();
