//! Builds the OpenAPI 3.1 documents the edges serve at
//! `/api/v1/openapi.json`, from the schema derives of [`crate::wire`] and
//! one route table per edge. The same types serialise the responses, so the
//! document cannot drift from the JSON.
//!
//! What every route shares is added here, once: the error body on every
//! error status, `Retry-After` on 429 and 503, the bearer API key and its
//! 401/403, `Idempotency-Key` with its 409/422 and `Idempotent-Replayed`.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{
        ComponentsBuilder, ContentBuilder, HttpMethod, InfoBuilder, OpenApiBuilder, Paths, Ref, RefOr, Required,
        Response, ResponseBuilder, Schema,
        header::HeaderBuilder,
        link::LinkBuilder,
        path::{OperationBuilder, ParameterBuilder, ParameterIn},
        request_body::RequestBodyBuilder,
        schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type},
        security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme},
        tag::TagBuilder,
    },
};

use crate::{error::ErrorBody, http::MAX_IDEMPOTENCY_KEY_LEN, wire};

pub use utoipa::openapi::{HttpMethod as Method, OpenApi};

const SECURITY_SCHEME: &str = "apiKey";
const USER_TOKEN_SCHEME: &str = "userToken";
/// The customer portal's credentials: its token, or the portal page's
/// session cookie.
const PORTAL_TOKEN_SCHEME: &str = "portalToken";
const PORTAL_COOKIE_SCHEME: &str = "portalCookie";
/// The portal page's session cookie.
pub const PORTAL_COOKIE: &str = "__Host-paygate_portal";

/// One route: what it takes and what it answers.
#[must_use]
pub struct Route {
    method: HttpMethod,
    path: String,
    operation: OperationBuilder,
    description: Vec<String>,
    schemas: Vec<(String, RefOr<Schema>)>,
    responses: BTreeMap<u16, Response>,
    errors: Vec<u16>,
    idempotent: bool,
    authenticated: bool,
    portal: bool,
    body: bool,
    /// Error descriptions that differ from the shared ones.
    error_texts: BTreeMap<u16, String>,
}

/// Starts a route. Path parameters (`{id}`) are read from the path.
pub fn route(method: HttpMethod, path: &str, operation_id: &str, summary: &str) -> Route {
    let mut operation = OperationBuilder::new().operation_id(Some(operation_id)).summary(Some(summary));
    for name in path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))) {
        operation = operation.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)))),
        );
    }
    Route {
        method,
        path: path.to_owned(),
        operation,
        description: Vec::new(),
        schemas: Vec::new(),
        responses: BTreeMap::new(),
        errors: vec![400, 404, 429, 500, 503],
        idempotent: false,
        authenticated: false,
        portal: false,
        body: false,
        error_texts: BTreeMap::new(),
    }
}

fn reference<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) -> RefOr<Schema> {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
    RefOr::Ref(Ref::from_schema_name(T::name()))
}

/// The example a body type declares on its schema.
fn schema_example<T: ToSchema>() -> Option<Value> {
    let value = serde_json::to_value(T::schema()).ok()?;
    value.get("example").cloned().or_else(|| value.get("examples")?.get(0).cloned())
}

fn json_content(schema: RefOr<Schema>, example: Option<Value>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).example(example).build()
}

impl Route {
    pub fn tag(mut self, tag: &str) -> Self {
        self.operation = self.operation.tag(tag);
        self
    }

    pub fn describe(mut self, text: &str) -> Self {
        self.description.push(text.to_owned());
        self
    }

    /// Needs an API key with this scope.
    pub fn scope(mut self, scope: &str) -> Self {
        self.authenticated = true;
        self.errors.extend([401, 403]);
        self.description.push(format!(
            "Needs an API key with the scope `{scope}`, or a signed-in user whose role holds that permission."
        ));
        self.operation = self
            .operation
            .security(SecurityRequirement::new(SECURITY_SCHEME, Vec::<String>::new()))
            .security(SecurityRequirement::new(USER_TOKEN_SCHEME, Vec::<String>::new()));
        self
    }

    /// Needs a signed-in user's access token (any role): the user's own
    /// account routes.
    pub fn signed_in(mut self) -> Self {
        self.authenticated = true;
        self.errors.extend([401, 403]);
        self.description.push(
            "Needs a signed-in user's access token (`Authorization: Bearer <accessToken>`); API keys are refused \
             (403 `user_required`)."
                .to_owned(),
        );
        self.operation = self.operation.security(SecurityRequirement::new(USER_TOKEN_SCHEME, Vec::<String>::new()));
        self
    }

    /// Needs a customer portal credential: `Authorization: Bearer pt_…` or
    /// the portal page's session cookie.
    pub fn portal(mut self) -> Self {
        self.portal = true;
        self.errors.extend([401, 403]);
        self.error_texts.insert(
            401,
            "No portal token or session cookie, or an unknown, expired or ended one (`portal_token_missing`, \
             `portal_token_invalid`, `portal_session_expired`, `portal_session_ended`). An API key is refused."
                .to_owned(),
        );
        self.error_texts.insert(
            403,
            "A change made with the session cookie from another origin than the portal page (`origin_forbidden`)."
                .to_owned(),
        );
        self.description.push(
            "Needs the portal token (`Authorization: Bearer pt_…`) or the portal page's session cookie; it \
             answers for that session's customer only (another customer's ids are 404)."
                .to_owned(),
        );
        self.operation = self
            .operation
            .security(SecurityRequirement::new(PORTAL_TOKEN_SCHEME, Vec::<String>::new()))
            .security(SecurityRequirement::new(PORTAL_COOKIE_SCHEME, Vec::<String>::new()));
        self
    }

    /// Accepts `Idempotency-Key`: a replay answers the first response with
    /// `Idempotent-Replayed: true`.
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self.errors.extend([409, 422]);
        self.operation = self.operation.parameter(
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "Same key and same body within 24 h: the first response, replayed. Another body: 422. \
                     While the first request still runs: 409.",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .max_length(Some(MAX_IDEMPOTENCY_KEY_LEN))
                        .pattern(Some("^[\\x20-\\x7E]+$")),
                ))
                .example(Some(json!("order-1234-attempt-1"))),
        );
        self
    }

    /// A JSON body of type `T`; `required: false` also accepts no body.
    pub fn body<T: ToSchema>(mut self, required: bool) -> Self {
        self.body = true;
        self.errors.extend([413, 415]);
        let schema = reference::<T>(&mut self.schemas);
        let body = RequestBodyBuilder::new()
            .required(Some(if required { Required::True } else { Required::False }))
            .content("application/json", json_content(schema, schema_example::<T>()))
            .build();
        self.operation = self.operation.request_body(Some(body));
        self
    }

    /// A successful answer with a JSON object of type `T`.
    pub fn answers<T: ToSchema>(mut self, status: u16, description: &str) -> Self {
        let schema = reference::<T>(&mut self.schemas);
        self.responses.insert(
            status,
            ResponseBuilder::new()
                .description(description)
                .content("application/json", json_content(schema, None))
                .build(),
        );
        self
    }

    /// A successful answer without a body.
    pub fn answers_nothing(mut self, status: u16, description: &str) -> Self {
        self.responses.insert(status, ResponseBuilder::new().description(description).build());
        self
    }

    /// `200` with a page of `T`.
    pub fn answers_list<T: ToSchema>(mut self, description: &str) -> Self {
        let _ = reference::<T>(&mut self.schemas);
        let schema = <wire::List<T> as PartialSchema>::schema();
        self.responses.insert(
            200,
            ResponseBuilder::new()
                .description(description)
                .content("application/json", json_content(schema, None))
                .build(),
        );
        self
    }

    /// `200` with a PDF attachment.
    pub fn answers_pdf(mut self) -> Self {
        let binary = ObjectBuilder::new().schema_type(Type::String).content_media_type("application/pdf").build();
        self.responses.insert(
            200,
            ResponseBuilder::new()
                .description("The PDF, as an attachment named after the document number.")
                .content("application/pdf", ContentBuilder::new().schema(Some(binary)).build())
                .header(
                    "Content-Disposition",
                    HeaderBuilder::new().schema(ObjectBuilder::new().schema_type(Type::String)).build(),
                )
                .build(),
        );
        self
    }

    /// `200` with a CSV file, its row count in `Export-Rows` and, when the
    /// rows were capped, the cap in `Export-Truncated`.
    pub fn answers_csv(mut self, description: &str) -> Self {
        let text = ObjectBuilder::new().schema_type(Type::String).content_media_type("text/csv").build();
        let integer = || HeaderBuilder::new().schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)));
        self.responses.insert(
            200,
            ResponseBuilder::new()
                .description(description)
                .content("text/csv", ContentBuilder::new().schema(Some(text)).build())
                .header(
                    "Content-Disposition",
                    HeaderBuilder::new().schema(ObjectBuilder::new().schema_type(Type::String)).build(),
                )
                .header("Export-Rows", integer().description(Some("Rows in the file, the header not counted.")).build())
                .header(
                    "Export-Truncated",
                    integer()
                        .description(Some("Only when more rows matched than an export holds: that cap (10000)."))
                        .build(),
                )
                .build(),
        );
        self
    }

    /// `200` with any JSON object (the document itself, health).
    pub fn answers_object(mut self, status: u16, description: &str) -> Self {
        let schema = ObjectBuilder::new().schema_type(Type::Object).build();
        self.responses.insert(
            status,
            ResponseBuilder::new()
                .description(description)
                .content("application/json", json_content(schema.into(), None))
                .build(),
        );
        self
    }

    /// A query parameter.
    pub fn query(mut self, name: &str, schema: impl Into<RefOr<Schema>>, description: &str) -> Self {
        self.operation = self.operation.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(schema)),
        );
        self
    }

    /// A required query parameter.
    pub fn required_query(mut self, name: &str, schema: impl Into<RefOr<Schema>>, description: &str) -> Self {
        self.operation = self.operation.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(Required::True)
                .description(Some(description))
                .schema(Some(schema)),
        );
        self
    }

    /// `limit` and `startingAfter`.
    pub fn paged(self) -> Self {
        self.query(
            "limit",
            ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)).maximum(Some(100)),
            "1–100, default 10.",
        )
        .query("startingAfter", string(), "The last id of the previous page.")
    }

    /// Error statuses this route answers besides the shared ones.
    pub fn errors(mut self, statuses: &[u16]) -> Self {
        self.errors.extend_from_slice(statuses);
        self
    }

    /// An OpenAPI link from the `status` answer to another operation, for
    /// clients (and stateful tests) that follow them.
    pub fn link(mut self, status: u16, name: &str, operation_id: &str, parameters: &[(&str, &str)]) -> Self {
        if let Some(response) = self.responses.remove(&status) {
            let mut link = LinkBuilder::new().operation_id(operation_id);
            for (parameter, expression) in parameters {
                link = link.parameter(*parameter, *expression);
            }
            let mut response = response;
            response.links.insert(name.to_owned(), RefOr::T(link.build()));
            self.responses.insert(status, response);
        }
        self
    }
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn error_description(status: u16) -> &'static str {
    match status {
        400 => "Invalid request: malformed JSON, a wrong or unknown field (`param` names it).",
        401 => "No API key, or a wrong or revoked one.",
        402 => "The provider declined.",
        403 => "The API key lacks the scope this route needs.",
        404 => "No such object (other organizations' objects look the same), or no such route.",
        409 => "The object's state forbids this, or a request with this Idempotency-Key is still running.",
        413 => "The body is larger than 1 MiB.",
        415 => "The body is not sent as `application/json`.",
        422 => "This Idempotency-Key was used with another body.",
        429 => "Too many requests; retry after `Retry-After` seconds.",
        431 => "A request header is too large.",
        498 => "GoCardless webhooks only: the signature does not verify (the status GoCardless documents).",
        500 => "An internal error.",
        502 => "The payment provider could not be reached; retry later.",
        503 => "The gateway is overloaded or a dependency is unavailable; retry after `Retry-After` seconds.",
        _ => "An error.",
    }
}

fn retry_after() -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)))
        .description(Some("Seconds to wait before retrying."))
        .build()
}

fn replayed_header() -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(string().enum_values(Some(["true"])))
        .description(Some("`true` when this is the recorded response of an earlier request with the same key."))
        .build()
}

/// A document: a title and its routes.
pub struct Document {
    title: String,
    description: String,
    tags: Vec<(String, String)>,
    paths: Paths,
    schemas: BTreeMap<String, RefOr<Schema>>,
    /// Whether the API key, and the portal credentials, are used.
    api_key: bool,
    portal: bool,
}

impl Document {
    pub fn new(title: &str, description: &str) -> Self {
        Self {
            title: title.to_owned(),
            description: description.to_owned(),
            tags: Vec::new(),
            paths: Paths::new(),
            schemas: BTreeMap::new(),
            api_key: false,
            portal: false,
        }
    }

    pub fn tag(mut self, name: &str, description: &str) -> Self {
        self.tags.push((name.to_owned(), description.to_owned()));
        self
    }

    pub fn add(&mut self, route: Route) {
        let Route {
            method,
            path,
            mut operation,
            description,
            schemas,
            responses,
            errors,
            idempotent,
            authenticated,
            portal,
            error_texts,
            ..
        } = route;
        self.api_key |= authenticated;
        self.portal |= portal;
        self.schemas.extend(schemas);
        if !description.is_empty() {
            operation = operation.description(Some(description.join("\n\n")));
        }
        for (status, mut response) in responses {
            if idempotent && (200..300).contains(&status) {
                response.headers.insert("Idempotent-Replayed".to_owned(), replayed_header());
            }
            operation = operation.response(status.to_string(), response);
        }
        let error_schema = RefOr::Ref(Ref::from_schema_name(ErrorBody::name()));
        let mut errors = errors;
        errors.sort_unstable();
        errors.dedup();
        for status in errors {
            let description = error_texts.get(&status).map_or(error_description(status), String::as_str);
            let mut response = ResponseBuilder::new()
                .description(description)
                .content("application/json", json_content(error_schema.clone(), None));
            if matches!(status, 429 | 503) {
                response = response.header("Retry-After", retry_after());
            }
            operation = operation.response(status.to_string(), response.build());
        }
        self.paths.add_path_operation(path, vec![method], operation.build());
    }

    pub fn build(self) -> OpenApi {
        let mut schemas = self.schemas;
        let mut error_schemas = vec![(ErrorBody::name().into_owned(), ErrorBody::schema())];
        ErrorBody::schemas(&mut error_schemas);
        schemas.extend(error_schemas);
        let mut components = ComponentsBuilder::new();
        // A document without any authenticated route still names the API
        // key: it is how the rest of Paygate is called.
        if self.api_key || !self.portal {
            components = components.security_scheme(
                SECURITY_SCHEME,
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("sk_test_… or sk_live_…")
                        .description(Some("An organization API key: `Authorization: Bearer sk_test_…`."))
                        .build(),
                ),
            );
        }
        if self.api_key {
            components = components.security_scheme(
                USER_TOKEN_SCHEME,
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .description(Some(
                            "A signed-in user's access token from `POST /api/v1/auth/login` (15 minutes; \
                             renewed with `/api/v1/auth/refresh`). The user's role decides what it may do; \
                             `Paygate-Mode: live` switches the request to live mode.",
                        ))
                        .build(),
                ),
            );
        }
        if self.portal {
            components = components
                .security_scheme(
                    PORTAL_TOKEN_SCHEME,
                    SecurityScheme::Http(
                        HttpBuilder::new()
                            .scheme(HttpAuthScheme::Bearer)
                            .bearer_format("pt_…")
                            .description(Some(
                                "A customer portal token from `POST /api/v1/portal/sessions` (Admin API): \
                                 `Authorization: Bearer pt_…`. One customer, one hour.",
                            ))
                            .build(),
                    ),
                )
                .security_scheme(
                    PORTAL_COOKIE_SCHEME,
                    SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Cookie(
                        utoipa::openapi::security::ApiKeyValue::with_description(
                            PORTAL_COOKIE,
                            "The portal page's session cookie, set by `GET /portal?token=pt_…`.",
                        ),
                    )),
                );
        }
        for (name, schema) in schemas {
            components = components.schema(name, schema);
        }
        OpenApiBuilder::new()
            .info(
                InfoBuilder::new()
                    .title(self.title)
                    .version(env!("CARGO_PKG_VERSION"))
                    .description(Some(self.description))
                    .build(),
            )
            .paths(self.paths)
            .components(Some(components.build()))
            .tags(Some(
                self.tags
                    .into_iter()
                    .map(|(name, description)| TagBuilder::new().name(name).description(Some(description)).build()),
            ))
            .build()
    }
}

/// A string schema with the listed values.
pub fn one_of(names: &[&str]) -> utoipa::openapi::schema::Object {
    wire::string_enum(names)
}

/// A plain string schema.
pub fn text() -> utoipa::openapi::schema::Object {
    string().build()
}

/// An RFC 3339 time.
pub fn date_time() -> utoipa::openapi::schema::Object {
    string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))).build()
}

/// A non-negative amount in minor units.
pub fn minor_units() -> utoipa::openapi::schema::Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(0))
        .build()
}

/// An email address.
pub fn email() -> utoipa::openapi::schema::Object {
    string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Email))).max_length(Some(320)).build()
}

/// The document as served: OpenAPI 3.1 JSON.
pub fn to_json(document: &OpenApi) -> String {
    to_value(document).to_string()
}

/// The document as JSON. utoipa 5 writes a link's fields in snake case
/// (`operation_id`); the specification spells them in camel case, and
/// clients that follow links only read that spelling.
pub fn to_value(document: &OpenApi) -> Value {
    let mut value = serde_json::to_value(document).unwrap_or_else(|err| {
        tracing::error!(error = %err, "OpenAPI document not serialisable");
        Value::Null
    });
    for item in value["paths"].as_object_mut().into_iter().flat_map(|paths| paths.values_mut()) {
        for operation in item.as_object_mut().into_iter().flat_map(|item| item.values_mut()) {
            for response in operation["responses"].as_object_mut().into_iter().flat_map(|r| r.values_mut()) {
                for link in
                    response.get_mut("links").and_then(Value::as_object_mut).into_iter().flat_map(|l| l.values_mut())
                {
                    let Some(link) = link.as_object_mut() else { continue };
                    for (snake, camel) in [
                        ("operation_id", "operationId"),
                        ("operation_ref", "operationRef"),
                        ("request_body", "requestBody"),
                    ] {
                        if let Some(field) = link.remove(snake) {
                            link.insert(camel.to_owned(), field);
                        }
                    }
                }
            }
        }
    }
    value
}

/// Serves a prebuilt document.
pub fn response(json: &'static str) -> axum::response::Response {
    use axum::response::IntoResponse;
    ([(axum::http::header::CONTENT_TYPE, "application/json")], json).into_response()
}

/// Checks that keep a route table honest; used by each edge's tests.
pub mod checks {
    use std::collections::{BTreeSet, HashSet};

    use serde_json::Value;

    use super::OpenApi;

    /// `METHOD /path` with every path parameter written `{}`.
    fn normalise(method: &str, path: &str) -> String {
        let mut out = String::new();
        let mut in_param = false;
        for c in path.chars() {
            match c {
                '{' => {
                    in_param = true;
                    out.push_str("{}");
                }
                '}' => in_param = false,
                _ if !in_param => out.push(c),
                _ => {}
            }
        }
        format!("{} {out}", method.to_ascii_uppercase())
    }

    /// The routes an edge's `router` registers on its API router (the
    /// `let api = Router::new()…;` statement of its `lib.rs`, or the
    /// `api = api…;` one that adds them under each prefix), under `prefix`.
    /// A path is quoted, or given as `at("…")` or `format!("{prefix}…")`.
    pub fn routes_in_source(source: &str, prefix: &str) -> BTreeSet<String> {
        let start = source
            .find("api = api\n")
            .or_else(|| source.find("let api = Router::new()"))
            .expect("the API router statement");
        let statement = &source[start..start + source[start..].find(';').expect("end of the statement")];
        let mut routes = BTreeSet::new();
        for chunk in statement.split(".route(").skip(1) {
            let chunk = ["\"", "&at(\"", "&format!(\"{prefix}"]
                .iter()
                .find_map(|opening| chunk.strip_prefix(opening))
                .expect("a quoted path");
            let (path, handlers) = chunk.split_once('"').expect("a quoted path");
            let path = path.replace("{{", "{").replace("}}", "}");
            for method in ["get", "post", "put", "patch", "delete"] {
                let called = handlers.match_indices(&format!("{method}(")).any(|(at, _)| {
                    at == 0
                        || !handlers.as_bytes()[at - 1].is_ascii_alphanumeric() && handlers.as_bytes()[at - 1] != b'_'
                });
                if called {
                    routes.insert(normalise(method, &format!("{prefix}{path}")));
                }
            }
        }
        routes
    }

    /// Every operation of the document as `METHOD /path`.
    pub fn operations(document: &OpenApi) -> BTreeSet<String> {
        let value = super::to_value(document);
        let mut found = BTreeSet::new();
        for (path, item) in value["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                found.insert(normalise(method, path));
            }
        }
        found
    }

    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value) {
                        ("$ref", Value::String(target)) => out.push(target.clone()),
                        _ => refs(value, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    /// What every operation must say; returns the gaps, one line each.
    pub fn gaps(document: &OpenApi) -> Vec<String> {
        let value = super::to_value(document);
        let mut gaps = Vec::new();
        if !value["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")) {
            gaps.push(format!("version {} is not 3.1", value["openapi"]));
        }
        let mut targets = Vec::new();
        refs(&value, &mut targets);
        for target in targets {
            let name = target.strip_prefix("#/components/schemas/").unwrap_or(&target);
            if value["components"]["schemas"].get(name).is_none() {
                gaps.push(format!("unresolved $ref {target}"));
            }
        }
        let mut ids = HashSet::new();
        let mut linked = Vec::new();
        for (path, item) in value["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let at = format!("{} {path}", method.to_ascii_uppercase());
                let id = op["operationId"].as_str().unwrap_or_default();
                if id.is_empty() || !ids.insert(id.to_owned()) {
                    gaps.push(format!("{at}: missing or duplicate operationId {id:?}"));
                }
                if op["summary"].as_str().is_none_or(str::is_empty) {
                    gaps.push(format!("{at}: no summary"));
                }
                let responses = op["responses"].as_object().cloned().unwrap_or_default();
                for (status, response) in &responses {
                    for (name, link) in response["links"].as_object().into_iter().flatten() {
                        match link["operationId"].as_str() {
                            Some(target) => linked.push((format!("{at} {status} link {name}"), target.to_owned())),
                            None => gaps.push(format!("{at}: {status} link {name} names no operationId")),
                        }
                    }
                }
                if !responses.keys().any(|s| s.starts_with('2')) {
                    gaps.push(format!("{at}: no success response"));
                }
                for status in ["400", "404", "429", "500", "503"] {
                    let schema = &responses.get(status).map(|r| r["content"]["application/json"]["schema"].clone());
                    if schema.as_ref().and_then(|s| s["$ref"].as_str()) != Some("#/components/schemas/ErrorBody") {
                        gaps.push(format!("{at}: {status} without the error body"));
                    }
                }
                for status in ["429", "503"] {
                    if responses.get(status).is_none_or(|r| r["headers"].get("Retry-After").is_none()) {
                        gaps.push(format!("{at}: {status} without Retry-After"));
                    }
                }
                if op.get("security").is_some() && !(responses.contains_key("401") && responses.contains_key("403")) {
                    gaps.push(format!("{at}: authenticated but no 401/403"));
                }
                if let Some(body) = op.get("requestBody") {
                    let content = &body["content"]["application/json"];
                    if content.get("example").is_none() {
                        gaps.push(format!("{at}: request body without an example"));
                    }
                    if !responses.contains_key("415") || !responses.contains_key("413") {
                        gaps.push(format!("{at}: body but no 413/415"));
                    }
                }
                let parameters = op["parameters"].as_array().cloned().unwrap_or_default();
                for name in path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))) {
                    if !parameters.iter().any(|p| p["name"] == name && p["in"] == "path") {
                        gaps.push(format!("{at}: path parameter {name} undocumented"));
                    }
                }
                let idempotent = parameters.iter().any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header");
                if idempotent {
                    for (status, response) in responses.iter().filter(|(s, _)| s.starts_with('2')) {
                        if response["headers"].get("Idempotent-Replayed").is_none() {
                            gaps.push(format!("{at}: {status} without Idempotent-Replayed"));
                        }
                    }
                }
            }
        }
        for (link, target) in linked {
            if !ids.contains(&target) {
                gaps.push(format!("{link}: no operation {target}"));
            }
        }
        gaps
    }
}
