import { PaygateError } from "./errors.js";

export interface RetryOptions {
  /** Further attempts after the first; 0 turns retries off. Default 2. */
  maxRetries: number;
  /** The first back-off delay in milliseconds; doubled on every retry. Default 500. */
  initialDelayMs: number;
  /** No single wait is longer than this, Retry-After included. Default 20 000. */
  maxDelayMs: number;
}

export const defaultRetryOptions: RetryOptions = { maxRetries: 2, initialDelayMs: 500, maxDelayMs: 20_000 };

const mutating = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/** Per-call options every resource method accepts last. */
export interface RequestOptions {
  /**
   * The `Idempotency-Key` of a POST/PATCH/DELETE. By default a fresh UUID per call (shared by
   * that call's retries); pass your own (an order number) to make retries across processes
   * safe, or `false` to send none, which also turns retries off for the call.
   */
  idempotencyKey?: string | false;
  signal?: AbortSignal;
}

/** A random (version 4) UUID, wherever the SDK runs. */
async function uuid(): Promise<string> {
  const webCrypto = globalThis.crypto;
  if (typeof webCrypto?.randomUUID === "function") return webCrypto.randomUUID();
  if (typeof webCrypto?.getRandomValues === "function") {
    // Browsers offer randomUUID only in secure contexts; getRandomValues everywhere.
    const bytes = webCrypto.getRandomValues(new Uint8Array(16));
    bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
    bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  // Node.js 18 has no global `crypto` unless started with --experimental-global-webcrypto.
  const specifier = "node:crypto";
  const { randomUUID } = (await import(specifier)) as typeof import("node:crypto");
  return randomUUID();
}

/** Milliseconds a `Retry-After` header (seconds or an HTTP date) asks for, if it is valid. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential back-off with jitter, so clients that failed together do not retry together. */
export function backoffMs(attempt: number, options: RetryOptions): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

async function isRetryable(response: Response): Promise<boolean> {
  if (response.status === 429 || response.status >= 500) return true;
  if (response.status !== 409) return false;
  // Only the idempotency 409 is transient; a state conflict will not change by retrying.
  const body = await response
    .clone()
    .json()
    .catch(() => null);
  return body?.error?.code === "idempotency_request_in_progress";
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

/**
 * The `fetch` openapi-fetch calls: adds the API key and an Idempotency-Key, and retries
 * transient failures of calls that are safe to repeat (GETs and keyed calls).
 */
export function createTransport(
  apiKey: string,
  retry: RetryOptions,
  fetchImpl: typeof fetch,
  userAgent: string | undefined,
): (request: Request) => Promise<Response> {
  return async (request: Request) => {
    const method = request.method.toUpperCase();
    const headers = new Headers(request.headers);
    headers.set("Authorization", `Bearer ${apiKey}`);
    if (userAgent && typeof window === "undefined") headers.set("User-Agent", userAgent);
    const keyOption = headers.get("x-paygate-idempotency");
    headers.delete("x-paygate-idempotency");
    if (mutating.has(method) && !headers.has("Idempotency-Key") && keyOption !== "off") {
      headers.set("Idempotency-Key", await uuid());
    }
    const repeatable = method === "GET" || method === "HEAD" || headers.has("Idempotency-Key");
    // Read once: a Request's body stream cannot be sent twice.
    const body = method === "GET" || method === "HEAD" ? undefined : await request.arrayBuffer();
    for (let attempt = 0; ; attempt += 1) {
      const last = !repeatable || attempt >= retry.maxRetries;
      let response: Response;
      try {
        response = await fetchImpl(request.url, { method, headers, body, signal: request.signal });
      } catch (error) {
        if (request.signal.aborted) throw error;
        if (last) {
          throw new PaygateError(0, {
            type: "connection_error",
            message: `Could not reach Paygate: ${error instanceof Error ? error.message : String(error)}`,
          });
        }
        await sleep(backoffMs(attempt, retry), request.signal);
        continue;
      }
      if (last || !(await isRetryable(response))) return response;
      const asked = response.status === 429 || response.status === 503 ? retryAfterMs(response.headers.get("retry-after")) : undefined;
      await response.body?.cancel().catch(() => undefined);
      await sleep(Math.min(retry.maxDelayMs, asked ?? backoffMs(attempt, retry)), request.signal);
    }
  };
}

/** Headers to send with one call, from its RequestOptions. */
export function optionHeaders(options: RequestOptions | undefined): Record<string, string> {
  if (options?.idempotencyKey === false) return { "x-paygate-idempotency": "off" };
  if (options?.idempotencyKey) return { "Idempotency-Key": options.idempotencyKey };
  return {};
}
