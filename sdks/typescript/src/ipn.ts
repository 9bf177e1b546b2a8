import { IpnVerificationError } from "./errors.js";

/** Request headers as Node (`req.headers`), fetch (`Headers`) or a plain object carry them. */
export type IpnHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyIpnOptions {
  /** How far the signature's timestamp may be from this clock. Default 300 (5 minutes). */
  toleranceSeconds?: number;
  /** The current time in Unix seconds (for tests). Defaults to the clock. */
  now?: number;
}

/** An IPN's JSON body; see docs/webhooks.md for the fields of each `type`. */
export interface IpnEvent {
  id: string;
  type: string;
  livemode: boolean;
  createdAt: string;
  data: Record<string, unknown>;
  [field: string]: unknown;
}

const encoder = new TextEncoder();

function header(headers: IpnHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(" ") : value;
  }
  return undefined;
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function base64ToBytes(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** True when HMAC-SHA256(key, message) equals `signature`, compared in constant time. */
type HmacCheck = (key: Uint8Array, message: Uint8Array, signature: Uint8Array) => Promise<boolean>;

let hmacCheck: Promise<HmacCheck> | undefined;

function loadHmacCheck(): Promise<HmacCheck> {
  hmacCheck ??= (async (): Promise<HmacCheck> => {
    const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";
    if (isNode) {
      // A variable specifier keeps browser bundlers from trying to resolve a Node module.
      const specifier = "node:crypto";
      const { createHmac, timingSafeEqual } = (await import(specifier)) as typeof import("node:crypto");
      return async (key, message, signature) => {
        const expected = createHmac("sha256", key).update(message).digest();
        return expected.length === signature.length && timingSafeEqual(expected, signature);
      };
    }
    // Web Crypto's verify compares in constant time itself.
    const subtle = globalThis.crypto.subtle;
    return async (key, message, signature) => {
      const imported = await subtle.importKey("raw", key as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
      return subtle.verify("HMAC", imported, signature as BufferSource, message as BufferSource);
    };
  })();
  return hmacCheck;
}

/**
 * Checks that `rawBody` is an IPN Paygate signed with `secret` (the site's `whsec_…`, or several
 * while you rotate it) within `toleranceSeconds`, and returns the parsed event. Throws
 * IpnVerificationError otherwise.
 *
 * Accepts Paygate's `X-Signature-HMAC-SHA256` (and `-Previous`, sent for 24 hours after a
 * rotation) as well as any `v1,…` entry of the Standard Webhooks `webhook-signature` header.
 * Pass the body exactly as received (a Buffer, Uint8Array or string), never re-serialised JSON.
 */
export async function verifyIpn(
  rawBody: string | Uint8Array,
  headers: IpnHeaders,
  secret: string | readonly string[],
  options: VerifyIpnOptions = {},
): Promise<IpnEvent> {
  const tolerance = options.toleranceSeconds ?? 300;
  const now = options.now ?? Date.now() / 1000;
  const secrets = (typeof secret === "string" ? [secret] : [...secret]).filter((s) => s.length > 0);
  if (secrets.length === 0) throw new IpnVerificationError("no signing secret given");
  const body = typeof rawBody === "string" ? encoder.encode(rawBody) : rawBody;
  const check = await loadHmacCheck();

  const timestamp = header(headers, "x-signature-timestamp");
  const webhookId = header(headers, "webhook-id");
  const webhookTimestamp = header(headers, "webhook-timestamp");
  const hexSignatures = [header(headers, "x-signature-hmac-sha256"), header(headers, "x-signature-hmac-sha256-previous")]
    .flatMap((value) => (value ?? "").split(/[\s,]+/))
    .filter((value) => /^[0-9a-f]{64}$/.test(value));
  const v1Signatures = (header(headers, "webhook-signature") ?? "")
    .split(/\s+/)
    .map((entry) => entry.split(","))
    .filter(([version, signature]) => version === "v1" && signature)
    .map(([, signature]) => base64ToBytes(signature as string))
    .filter((bytes): bytes is Uint8Array => bytes !== undefined && bytes.length === 32);

  const paygateSigned = timestamp !== undefined && /^\d+$/.test(timestamp) && hexSignatures.length > 0;
  const standardSigned =
    webhookId !== undefined && webhookTimestamp !== undefined && /^\d+$/.test(webhookTimestamp) && v1Signatures.length > 0;
  if (!paygateSigned && !standardSigned) throw new IpnVerificationError("missing or malformed signature headers");

  const signedAt = Number(paygateSigned ? timestamp : webhookTimestamp);
  if (Math.abs(now - signedAt) > tolerance) throw new IpnVerificationError("timestamp outside the tolerance");

  let matched = false;
  for (const candidate of secrets) {
    if (paygateSigned) {
      const message = concat(encoder.encode(`${timestamp}.`), body);
      for (const signature of hexSignatures) {
        // Every candidate is checked: stopping early would time which one matched.
        if (await check(encoder.encode(candidate), message, hexToBytes(signature))) matched = true;
      }
    }
    if (standardSigned) {
      const key = base64ToBytes(candidate.replace(/^whsec_/, ""));
      if (!key) continue;
      const message = concat(encoder.encode(`${webhookId}.${webhookTimestamp}.`), body);
      for (const signature of v1Signatures) {
        if (await check(key, message, signature)) matched = true;
      }
    }
  }
  if (!matched) throw new IpnVerificationError("signature mismatch");

  try {
    return JSON.parse(new TextDecoder().decode(body)) as IpnEvent;
  } catch {
    throw new IpnVerificationError("the signed body is not JSON");
  }
}
