// The phone's queue in IndexedDB: every scan is written here before anything else happens, and
// stays until the server has answered for it (then it is kept, marked sent, for the re-scan
// check and the needs-attention list, and dropped after the bundle's queueDays). The offline
// bundle is kept here too.

const NAME = "vaxticket";
const VERSION = 1;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function open() {
  const request = indexedDB.open(NAME, VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    // `seq` keeps the order scans were made in; `id` is the phone's scan id sent to the server.
    const scans = db.createObjectStore("scans", { keyPath: "seq", autoIncrement: true });
    scans.createIndex("id", "id", { unique: true });
    db.createObjectStore("meta", { keyPath: "key" });
  };
  return promised(request);
}

let database = null;
async function db() {
  if (!database) database = await open();
  return database;
}

async function run(storeName, mode, work) {
  const transaction = (await db()).transaction(storeName, mode);
  const done = new Promise((resolve, reject) => {
    transaction.oncomplete = resolve;
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
  const result = await work(transaction.objectStore(storeName));
  await done;
  return result;
}

/** A fresh scan id: 32 hex digits from the browser's random source. */
export function newScanID() {
  return crypto.randomUUID().replaceAll("-", "");
}

/** Adds `scan` and returns it with its `seq`. */
export async function add(scan) {
  const seq = await run("scans", "readwrite", (store) => promised(store.add(scan)));
  return Object.assign(scan, { seq });
}

/** Writes `scan` back. */
export async function put(scan) {
  await run("scans", "readwrite", (store) => promised(store.put(scan)));
}

/** Writes `scans` back in one transaction: all of them, or none. */
export async function putAll(scans) {
  await run("scans", "readwrite", async (store) => {
    for (const scan of scans) store.put(scan);
  });
}

/** Every scan, oldest first. */
export async function all() {
  return run("scans", "readonly", (store) => promised(store.getAll()));
}

/** The scan with this id, or undefined. */
export async function byID(id) {
  return run("scans", "readonly", (store) => promised(store.index("id").get(id)));
}

/** Drops answered scans made before `cutoff` that need nothing more of the officer. */
export async function prune(cutoff) {
  const old = (await all()).filter((scan) =>
    scan.state === "sent" && scan.scannedAt < cutoff && (!scan.attention || scan.acknowledged));
  await run("scans", "readwrite", async (store) => {
    for (const scan of old) store.delete(scan.seq);
  });
}

/** A kept value, or undefined. */
export async function load(key) {
  const entry = await run("meta", "readonly", (store) => promised(store.get(key)));
  return entry ? entry.value : undefined;
}

/** Keeps `value` under `key`. */
export async function save(key, value) {
  await run("meta", "readwrite", (store) => promised(store.put({ key, value })));
}
