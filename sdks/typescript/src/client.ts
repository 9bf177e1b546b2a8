import createClient, { type Client } from "openapi-fetch";
import type { operations, paths } from "./generated/schema.js";
import { PaygateError } from "./errors.js";
import { type ListPromise, type Page, paginate } from "./pagination.js";
import {
  createTransport,
  defaultRetryOptions,
  optionHeaders,
  type RequestOptions,
  type RetryOptions,
} from "./transport.js";

/** The JSON request body of an operation of the generated schema. */
export type BodyOf<K extends keyof operations> = operations[K] extends {
  requestBody?: { content: { "application/json": infer B } };
}
  ? B
  : never;
/** The query parameters of an operation of the generated schema. */
export type QueryOf<K extends keyof operations> = NonNullable<operations[K]["parameters"]["query"]>;

export interface PaygateOptions {
  /** An organization API key (`pk_…`/`sk_…` as issued by Paygate). */
  apiKey: string;
  /** The Admin API's origin, e.g. `https://pay-admin.example.com` (no `/api/v1`). */
  baseUrl: string;
  retry?: Partial<RetryOptions>;
  /** Another `fetch` (a proxy agent, a test double). Defaults to the global one. */
  fetch?: typeof fetch;
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function unwrap<T>({ data, error, response }: Answer<T>): T {
  if (!response.ok) throw PaygateError.fromResponse(response, error);
  return data as T;
}

function call(options: RequestOptions | undefined) {
  return { headers: optionHeaders(options), signal: options?.signal };
}

type Api = Client<paths>;

class Resource {
  constructor(protected readonly api: Api) {}
}

export class Checkouts extends Resource {
  async create(siteId: string, body: BodyOf<"createCheckout">, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/checkouts/{siteId}/create", { params: { path: { siteId } }, body, ...call(options) }));
  }
  async retrieve(id: string, options?: RequestOptions) {
    return unwrap(await this.api.GET("/api/v1/checkouts/{id}", { params: { path: { id } }, ...call(options) }));
  }
  list(query: QueryOf<"listCheckouts"> = {}, options?: RequestOptions) {
    return paginate(query, async (q) =>
      unwrap(await this.api.GET("/api/v1/checkouts", { params: { query: q }, ...call(options) })),
    );
  }
}

export class Transactions extends Resource {
  async retrieve(id: string, options?: RequestOptions) {
    return unwrap(await this.api.GET("/api/v1/transactions/{id}", { params: { path: { id } }, ...call(options) }));
  }
  list(query: QueryOf<"listTransactions"> = {}, options?: RequestOptions) {
    return paginate(query, async (q) =>
      unwrap(await this.api.GET("/api/v1/transactions", { params: { query: q }, ...call(options) })),
    );
  }
  async timeline(id: string, options?: RequestOptions) {
    return unwrap(await this.api.GET("/api/v1/transactions/{id}/timeline", { params: { path: { id } }, ...call(options) }));
  }
  /** Captures an authorization (all of it unless `amount` is given). */
  async capture(id: string, body: BodyOf<"captureTransaction"> = {}, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/transactions/{id}/capture", { params: { path: { id } }, body, ...call(options) }));
  }
  /** Releases an authorization. */
  async cancel(id: string, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/transactions/{id}/cancel", { params: { path: { id } }, ...call(options) }));
  }
  /** Refunds part (`amount`) or the rest of a succeeded transaction. */
  async refund(id: string, body: BodyOf<"createRefund"> = {}, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/transactions/{id}/refunds", { params: { path: { id } }, body, ...call(options) }));
  }
}

export class Sites extends Resource {
  async create(body: BodyOf<"createSite">, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/sites", { body, ...call(options) }));
  }
  async retrieve(id: string, options?: RequestOptions) {
    return unwrap(await this.api.GET("/api/v1/sites/{id}", { params: { path: { id } }, ...call(options) }));
  }
  async update(id: string, body: BodyOf<"updateSite">, options?: RequestOptions) {
    return unwrap(await this.api.PATCH("/api/v1/sites/{id}", { params: { path: { id } }, body, ...call(options) }));
  }
  async list(options?: RequestOptions) {
    return unwrap(await this.api.GET("/api/v1/sites", { ...call(options) }));
  }
  /** A new webhook signing secret; the old one keeps signing for 24 hours. */
  async rotateSecret(id: string, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/sites/{id}/rotate-secret", { params: { path: { id } }, ...call(options) }));
  }
}

export class ApiKeys extends Resource {
  async create(body: BodyOf<"createApiKey">, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/api-keys", { body, ...call(options) }));
  }
  async list(options?: RequestOptions) {
    return unwrap(await this.api.GET("/api/v1/api-keys", { ...call(options) }));
  }
  async revoke(id: string, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/api-keys/{id}/revoke", { params: { path: { id } }, ...call(options) }));
  }
}

export class Customers extends Resource {
  async create(body: BodyOf<"createCustomer"> = {}, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/customers", { body, ...call(options) }));
  }
  async retrieve(id: string, options?: RequestOptions) {
    return unwrap(await this.api.GET("/api/v1/customers/{id}", { params: { path: { id } }, ...call(options) }));
  }
  async update(id: string, body: BodyOf<"updateCustomer">, options?: RequestOptions) {
    return unwrap(await this.api.PATCH("/api/v1/customers/{id}", { params: { path: { id } }, body, ...call(options) }));
  }
  list(query: QueryOf<"listCustomers"> = {}, options?: RequestOptions) {
    return paginate(query, async (q) =>
      unwrap(await this.api.GET("/api/v1/customers", { params: { query: q }, ...call(options) })),
    );
  }
}

export class Plans extends Resource {
  async create(body: BodyOf<"createPlan">, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/plans", { body, ...call(options) }));
  }
  async retrieve(id: string, options?: RequestOptions) {
    return unwrap(await this.api.GET("/api/v1/plans/{id}", { params: { path: { id } }, ...call(options) }));
  }
  async update(id: string, body: BodyOf<"updatePlan">, options?: RequestOptions) {
    return unwrap(await this.api.PATCH("/api/v1/plans/{id}", { params: { path: { id } }, body, ...call(options) }));
  }
  list(query: QueryOf<"listPlans"> = {}, options?: RequestOptions) {
    return paginate(query, async (q) =>
      unwrap(await this.api.GET("/api/v1/plans", { params: { query: q }, ...call(options) })),
    );
  }
}

export class Subscriptions extends Resource {
  async create(body: BodyOf<"createSubscription">, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/subscriptions", { body, ...call(options) }));
  }
  async retrieve(id: string, options?: RequestOptions) {
    return unwrap(await this.api.GET("/api/v1/subscriptions/{id}", { params: { path: { id } }, ...call(options) }));
  }
  async update(id: string, body: BodyOf<"updateSubscription">, options?: RequestOptions) {
    return unwrap(await this.api.PATCH("/api/v1/subscriptions/{id}", { params: { path: { id } }, body, ...call(options) }));
  }
  list(query: QueryOf<"listSubscriptions"> = {}, options?: RequestOptions) {
    return paginate(query, async (q) =>
      unwrap(await this.api.GET("/api/v1/subscriptions", { params: { query: q }, ...call(options) })),
    );
  }
  async cancel(id: string, body: BodyOf<"cancelSubscription"> = {}, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/subscriptions/{id}/cancel", { params: { path: { id } }, body, ...call(options) }));
  }
  async resume(id: string, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/subscriptions/{id}/resume", { params: { path: { id } }, ...call(options) }));
  }
}

export class Invoices extends Resource {
  async retrieve(id: string, options?: RequestOptions) {
    return unwrap(await this.api.GET("/api/v1/invoices/{id}", { params: { path: { id } }, ...call(options) }));
  }
  list(query: QueryOf<"listInvoices"> = {}, options?: RequestOptions) {
    return paginate(query, async (q) =>
      unwrap(await this.api.GET("/api/v1/invoices", { params: { query: q }, ...call(options) })),
    );
  }
  /** The invoice as a PDF document. */
  async pdf(id: string, options?: RequestOptions): Promise<ArrayBuffer> {
    const answer = await this.api.GET("/api/v1/invoices/{id}/pdf", {
      params: { path: { id } },
      parseAs: "arrayBuffer",
      ...call(options),
    });
    return unwrap(answer) as ArrayBuffer;
  }
}

export class IpnDeliveries extends Resource {
  list(query: QueryOf<"listIpnDeliveries"> = {}, options?: RequestOptions) {
    return paginate(query, async (q) =>
      unwrap(await this.api.GET("/api/v1/ipn-deliveries", { params: { query: q }, ...call(options) })),
    );
  }
  async resend(id: string, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/ipn-deliveries/{id}/resend", { params: { path: { id } }, ...call(options) }));
  }
}

export class Organization extends Resource {
  async retrieve(options?: RequestOptions) {
    return unwrap(await this.api.GET("/api/v1/organization", { ...call(options) }));
  }
  async update(body: BodyOf<"updateOrganization">, options?: RequestOptions) {
    return unwrap(await this.api.PATCH("/api/v1/organization", { body, ...call(options) }));
  }
}

export class PortalSessions extends Resource {
  async create(body: BodyOf<"createPortalSession">, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/portal/sessions", { body, ...call(options) }));
  }
}

export class CreditNotes extends Resource {
  async retrieve(id: string, options?: RequestOptions) {
    return unwrap(await this.api.GET("/api/v1/credit-notes/{id}", { params: { path: { id } }, ...call(options) }));
  }
  list(query: QueryOf<"listCreditNotes"> = {}, options?: RequestOptions) {
    return paginate(query, async (q) =>
      unwrap(await this.api.GET("/api/v1/credit-notes", { params: { query: q }, ...call(options) })),
    );
  }
  /** The credit note as a PDF document. */
  async pdf(id: string, options?: RequestOptions): Promise<ArrayBuffer> {
    const answer = await this.api.GET("/api/v1/credit-notes/{id}/pdf", {
      params: { path: { id } },
      parseAs: "arrayBuffer",
      ...call(options),
    });
    return unwrap(answer) as ArrayBuffer;
  }
}

export class TestClocks extends Resource {
  async create(body: BodyOf<"createTestClock">, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/test-clocks", { body, ...call(options) }));
  }
  async retrieve(id: string, options?: RequestOptions) {
    return unwrap(await this.api.GET("/api/v1/test-clocks/{id}", { params: { path: { id } }, ...call(options) }));
  }
  list(query: QueryOf<"listTestClocks"> = {}, options?: RequestOptions) {
    return paginate(query, async (q) =>
      unwrap(await this.api.GET("/api/v1/test-clocks", { params: { query: q }, ...call(options) })),
    );
  }
  async advance(id: string, body: BodyOf<"advanceTestClock">, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/test-clocks/{id}/advance", { params: { path: { id } }, body, ...call(options) }));
  }
}

export class TaxRules extends Resource {
  async create(body: BodyOf<"createTaxRule">, options?: RequestOptions) {
    return unwrap(await this.api.POST("/api/v1/tax-rules", { body, ...call(options) }));
  }
  async retrieve(id: string, options?: RequestOptions) {
    return unwrap(await this.api.GET("/api/v1/tax-rules/{id}", { params: { path: { id } }, ...call(options) }));
  }
  async update(id: string, body: BodyOf<"updateTaxRule">, options?: RequestOptions) {
    return unwrap(await this.api.PUT("/api/v1/tax-rules/{id}", { params: { path: { id } }, body, ...call(options) }));
  }
  async delete(id: string, options?: RequestOptions) {
    return unwrap(await this.api.DELETE("/api/v1/tax-rules/{id}", { params: { path: { id } }, ...call(options) }));
  }
  list(query: QueryOf<"listTaxRules"> = {}, options?: RequestOptions) {
    return paginate(query, async (q) =>
      unwrap(await this.api.GET("/api/v1/tax-rules", { params: { query: q }, ...call(options) })),
    );
  }
}

export class Reports extends Resource {
  async summary(query: QueryOf<"getSummary">, options?: RequestOptions) {
    return unwrap(await this.api.GET("/api/v1/reports/summary", { params: { query }, ...call(options) }));
  }
}

/** Paygate's Admin API: `new Paygate({ apiKey, baseUrl })`. */
export class Paygate {
  /** The generated, fully typed client underneath, for operations without a resource method. */
  readonly api: Api;
  readonly checkouts: Checkouts;
  readonly transactions: Transactions;
  readonly sites: Sites;
  readonly apiKeys: ApiKeys;
  readonly customers: Customers;
  readonly plans: Plans;
  readonly subscriptions: Subscriptions;
  readonly invoices: Invoices;
  readonly ipnDeliveries: IpnDeliveries;
  readonly organization: Organization;
  readonly portalSessions: PortalSessions;
  readonly creditNotes: CreditNotes;
  readonly testClocks: TestClocks;
  readonly taxRules: TaxRules;
  readonly reports: Reports;

  constructor(options: PaygateOptions) {
    if (!options?.apiKey) throw new TypeError("Paygate: apiKey is required");
    if (!options.baseUrl) throw new TypeError("Paygate: baseUrl is required");
    const retry = { ...defaultRetryOptions, ...options.retry };
    const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.api = createClient<paths>({
      baseUrl: options.baseUrl.replace(/\/+$/, ""),
      fetch: createTransport(options.apiKey, retry, fetchImpl, "paygate-sdk-typescript/0.1.0"),
    });
    this.checkouts = new Checkouts(this.api);
    this.transactions = new Transactions(this.api);
    this.sites = new Sites(this.api);
    this.apiKeys = new ApiKeys(this.api);
    this.customers = new Customers(this.api);
    this.plans = new Plans(this.api);
    this.subscriptions = new Subscriptions(this.api);
    this.invoices = new Invoices(this.api);
    this.ipnDeliveries = new IpnDeliveries(this.api);
    this.organization = new Organization(this.api);
    this.portalSessions = new PortalSessions(this.api);
    this.creditNotes = new CreditNotes(this.api);
    this.testClocks = new TestClocks(this.api);
    this.taxRules = new TaxRules(this.api);
    this.reports = new Reports(this.api);
  }
}

export type { ListPromise, Page };
