// Tickets checked on the phone: the text and binary forms of docs/ticket-format.md, and the
// checks of TicketVerifier in the same order, against the offline bundle. Only version 2
// (Ed25519) tickets can be checked here; a version 1 ticket needs the server's HMAC secret.

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const GROUPS = ["GENERAL", "HEALTHWORKER", "ELDERLY", "PUBLICSERVANT", "PREGNANT", "ADOLESCENT"];
const EPOCH = Date.UTC(2020, 0, 1);
const DAY = 86400000;

/** The bytes of a Base45 text (RFC 9285), or null when it is not one. */
export function base45Decode(text) {
  if (text.length % 3 === 1) return null;
  const out = [];
  for (let i = 0; i < text.length; i += 3) {
    const digits = [];
    for (const character of text.slice(i, i + 3)) {
      const value = ALPHABET.indexOf(character);
      if (value < 0) return null;
      digits.push(value);
    }
    if (digits.length === 3) {
      const n = digits[0] + digits[1] * 45 + digits[2] * 2025;
      if (n > 0xffff) return null;
      out.push(n >> 8, n & 0xff);
    } else {
      const n = digits[0] + digits[1] * 45;
      if (n > 0xff) return null;
      out.push(n);
    }
  }
  return Uint8Array.from(out);
}

class BitReader {
  constructor(bytes, start) { this.bytes = bytes; this.bit = start * 8; }
  read(count) {
    if (this.bit + count > this.bytes.length * 8) return null;
    let value = 0n;
    for (let i = 0; i < count; i++, this.bit++) {
      const byte = this.bytes[this.bit >> 3];
      value = (value << 1n) | BigInt((byte >> (7 - (this.bit & 7))) & 1);
    }
    return value;
  }
  number(count) { const value = this.read(count); return value === null ? null : Number(value); }
  atPaddedEnd() {
    const end = Math.ceil(this.bit / 8) * 8;
    if (end !== this.bytes.length * 8) return false;
    while (this.bit < end) { if (this.number(1) !== 0) return false; }
    return true;
  }
}

const malformed = (reason) => ({ outcome: "malformed", reason });

function readDigits(reader, count) {
  let text = "";
  for (let left = count; left > 0; left -= 3) {
    const size = Math.min(3, left);
    const value = reader.number(size === 3 ? 10 : size === 2 ? 7 : 4);
    if (value === null) return malformed("truncated");
    if (value >= 10 ** size) return malformed("field_out_of_range");
    text += String(value).padStart(size, "0");
  }
  return text;
}

function readAlphanumeric(reader, count) {
  let text = "";
  for (let left = count; left > 0; left -= 2) {
    const pair = left >= 2;
    const value = reader.number(pair ? 11 : 6);
    if (value === null) return malformed("truncated");
    if (value >= (pair ? 1296 : 36)) return malformed("field_out_of_range");
    text += pair ? ALPHABET[Math.floor(value / 36)] + ALPHABET[value % 36] : ALPHABET[value];
  }
  return text;
}

/** The ISO day `days` after 2020-01-01. */
export function dayText(days) {
  return new Date(EPOCH + days * DAY).toISOString().slice(0, 10);
}

/** The calendar day of `date` in `timeZone`, as YYYY-MM-DD. */
export function dayIn(date, timeZone) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit",
  }).formatToParts(date);
  const get = (type) => parts.find((part) => part.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/**
 * The version, key id, signed bytes and signature of a ticket text, or a malformed outcome.
 */
export function readTicket(text) {
  const match = /^VT(\d+):/.exec(text);
  if (!match) return malformed("not_a_ticket");
  const version = Number(match[1]);
  if (match[1] !== "1" && match[1] !== "2") return malformed("unknown_version");
  const binary = base45Decode(text.slice(match[0].length));
  if (!binary) return malformed("bad_encoding");
  if (binary.length === 0) return malformed("truncated");
  if (binary[0] !== version) return malformed("unknown_version");
  if (binary.length < 2) return malformed("truncated");
  const idLength = binary[1];
  if (idLength < 1 || idLength > 8) return malformed("field_out_of_range");
  const signatureLength = version === 2 ? 64 : 16;
  if (binary.length <= 2 + idLength + signatureLength) return malformed("truncated");
  const keyID = String.fromCharCode(...binary.slice(2, 2 + idLength));
  if (!/^[0-9A-Z]+$/.test(keyID)) return malformed("field_out_of_range");
  const end = binary.length - signatureLength;
  return {
    version, keyID, fieldsStart: 2 + idLength,
    signed: binary.slice(0, end), signature: binary.slice(end),
  };
}

/** The ticket's fields from its signed bytes, or a malformed outcome. */
export function readFields(signed, fieldsStart, vaccines) {
  const reader = new BitReader(signed, fieldsStart);
  const serial = reader.read(64), alphanumeric = reader.number(1), length = reader.number(5);
  if (serial === null || alphanumeric === null || length === null) return malformed("truncated");
  if (length < 1 || length > 20) return malformed("field_out_of_range");
  const registrant = alphanumeric === 0 ? readDigits(reader, length) : readAlphanumeric(reader, length);
  if (typeof registrant !== "string") return registrant;
  if (alphanumeric === 1 && /^[0-9]+$/.test(registrant)) return malformed("field_out_of_range");
  const dose = reader.number(4), group = reader.number(3), vaccineID = reader.number(8);
  const siteLength = reader.number(4);
  if (dose === null || group === null || vaccineID === null || siteLength === null) {
    return malformed("truncated");
  }
  if (dose < 1 || dose > 9 || group > 5) return malformed("field_out_of_range");
  const vaccine = vaccines.find((entry) => entry.id === vaccineID);
  if (!vaccine || siteLength < 1 || siteLength > 8) return malformed("field_out_of_range");
  const site = readAlphanumeric(reader, siteLength);
  if (typeof site !== "string") return site;
  const from = reader.number(16), until = reader.number(16);
  if (from === null || until === null) return malformed("truncated");
  if (until < from) return malformed("field_out_of_range");
  if (!reader.atPaddedEnd()) return malformed("trailing_bytes");
  return {
    serial: serial.toString(16).toUpperCase().padStart(16, "0"), registrant, dose,
    vaccine: vaccine.code, group: GROUPS[group], site,
    validFrom: dayText(from), validUntil: dayText(until), keyID: null,
  };
}

function base64Bytes(text) {
  return Uint8Array.from(atob(text), (character) => character.charCodeAt(0));
}

/** Checks tickets against one offline bundle; imported keys are kept. */
export class OfflineVerifier {
  constructor(bundle) {
    this.bundle = bundle;
    this.keys = new Map(bundle.publicKeys.keys.map((key) => [key.id, key]));
    this.revoked = new Set(bundle.publicKeys.revoked.map((entry) => entry.serial.padStart(16, "0")));
    this.imported = new Map();
  }

  async publicKey(entry) {
    if (!this.imported.has(entry.id)) {
      this.imported.set(entry.id, crypto.subtle.importKey(
        "raw", base64Bytes(entry.publicKey), { name: "Ed25519" }, false, ["verify"]));
    }
    return this.imported.get(entry.id);
  }

  /**
   * What the server's verifier would say of `text` at `now`: {outcome, ticket?}. A version 1
   * ticket gives outcome "queued": only the server can check it. Days near midnight get the
   * bundle's clock skew in the ticket's favour; the server decides them for good.
   */
  async verify(text, now = new Date()) {
    const read = readTicket(text);
    if (read.outcome) return read;
    const key = this.keys.get(read.keyID);
    if (read.version === 1) return { outcome: "queued", keyID: read.keyID };
    if (!key) return { outcome: "unknown_key" };
    if (key.algorithm !== "ed25519") return { outcome: "wrong_algorithm" };
    let genuine = false;
    try {
      genuine = await crypto.subtle.verify(
        { name: "Ed25519" }, await this.publicKey(key), read.signature, read.signed);
    } catch (error) {
      return { outcome: "queued", problem: String(error) };
    }
    if (!genuine) return { outcome: "bad_signature" };
    const ticket = readFields(read.signed, read.fieldsStart, this.bundle.rules.vaccines);
    if (ticket.outcome) return ticket;
    ticket.keyID = read.keyID;
    const stopped = this.bundle.stoppedSigningDays[key.id];
    const days = (Date.parse(ticket.validUntil) - Date.parse(ticket.validFrom)) / DAY + 1;
    const skew = this.bundle.rules.clockSkewSeconds * 1000;
    const zone = this.bundle.timeZone;
    let outcome = "valid";
    if (key.state === "retired") outcome = "key_retired";
    else if (stopped && ticket.validFrom > stopped) outcome = "signed_after_rotation";
    else if (days > this.bundle.publicKeys.maxValidityDays) outcome = "validity_too_long";
    else if (this.revoked.has(ticket.serial)) outcome = "revoked";
    else if (dayIn(new Date(now.getTime() + skew), zone) < ticket.validFrom) outcome = "not_yet_valid";
    else if (dayIn(new Date(now.getTime() - skew), zone) > ticket.validUntil) outcome = "expired";
    return { outcome, ticket };
  }
}
