/** The `error` object of every Paygate API error response. */
export interface PaygateErrorBody {
  type?: string;
  code?: string;
  param?: string;
  message?: string;
  [field: string]: unknown;
}

/**
 * An API call that did not succeed: an error answer from Paygate (`status` > 0) or a request
 * that never got an answer (`status` 0, `type` `"connection_error"`).
 */
export class PaygateError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | undefined;
  readonly param: string | undefined;
  readonly requestId: string | undefined;
  /** The whole `error` object, for fields this class does not name. */
  readonly raw: PaygateErrorBody;

  constructor(status: number, body: PaygateErrorBody, requestId?: string) {
    super(body.message ?? `Paygate answered ${status}`);
    this.name = "PaygateError";
    this.status = status;
    this.type = body.type ?? "api_error";
    this.code = body.code;
    this.param = body.param;
    this.requestId = requestId;
    this.raw = body;
  }

  /** Builds the error from an error response and its already parsed body (if any). */
  static fromResponse(response: Response, parsed: unknown): PaygateError {
    const body =
      parsed && typeof parsed === "object" && "error" in parsed && typeof parsed.error === "object" && parsed.error
        ? (parsed.error as PaygateErrorBody)
        : { type: "api_error", message: `Paygate answered ${response.status} without an error body` };
    return new PaygateError(response.status, body, response.headers.get("x-request-id") ?? undefined);
  }
}

/** Thrown by `verifyIpn` when a request is not a genuine, recent IPN. */
export class IpnVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IpnVerificationError";
  }
}
