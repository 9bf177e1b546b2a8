export { Paygate, type PaygateOptions, type BodyOf, type QueryOf, type ListPromise, type Page } from "./client.js";
export { PaygateError, IpnVerificationError, type PaygateErrorBody } from "./errors.js";
export { verifyIpn, type IpnEvent, type IpnHeaders, type VerifyIpnOptions } from "./ipn.js";
export type { RequestOptions, RetryOptions } from "./transport.js";
export type { components, operations, paths } from "./generated/schema.js";
