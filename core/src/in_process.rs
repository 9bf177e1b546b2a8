//! Core's gRPC services as one table for calls made in this process
//! (`paygate all`), beside the route table its listener serves.
//!
//! tonic's route table is an axum router. A call through it had its
//! request body converted to axum's body and back, and its answer's body
//! the same way: each conversion a box and an error-mapping layer that
//! every frame then passed through, plus the matched path's parameters
//! allocated per call. Here a call finds its service by the first segment
//! of its path and hands the generated service the request as it came,
//! so an in-process call runs the same generated service code (decoding,
//! the handler, encoding, status and trailers) as one from the network,
//! minus the router.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::BoxFuture;
use tonic::server::NamedService;
use tower::Service;

/// What a generated gRPC service's `call` returns.
type CallFuture = BoxFuture<http::Response<Body>, Infallible>;

/// One service of the table: a clone of the generated service, called.
type Entry = Box<dyn Fn(http::Request<Body>) -> CallFuture + Send + Sync>;

/// Every service both tables hold, added once: the listener's route table
/// and the in-process one cannot drift apart.
#[derive(Default)]
pub(crate) struct ServiceSet {
    routes: tonic::service::RoutesBuilder,
    in_process: HashMap<&'static str, Entry>,
}

impl ServiceSet {
    /// Adds a generated service (`…Server::new`) to both tables.
    pub(crate) fn add<S>(&mut self, service: S) -> &mut Self
    where
        S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible, Future = CallFuture>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
    {
        self.routes.add_service(service.clone());
        // A generated service is always ready (its `poll_ready` answers
        // `Ready(Ok(()))`) and keeps its state behind an `Arc`: a clone
        // per call is a reference count.
        self.in_process.insert(S::NAME, Box::new(move |request| service.clone().call(request)));
        self
    }

    /// The route table for the listener, and the in-process table.
    pub(crate) fn build(self) -> (tonic::service::Routes, InProcessServices) {
        (self.routes.routes().prepare(), InProcessServices(Arc::new(self.in_process)))
    }
}

/// Core's gRPC services by name, called in this process.
#[derive(Clone)]
pub(crate) struct InProcessServices(Arc<HashMap<&'static str, Entry>>);

impl InProcessServices {
    /// The service a gRPC path (`/package.Service/Method`) names.
    fn service(&self, path: &str) -> Option<&Entry> {
        let (name, method) = path.strip_prefix('/')?.split_once('/')?;
        if method.is_empty() {
            return None;
        }
        self.0.get(name)
    }
}

impl Service<http::Request<Body>> for InProcessServices {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = CallFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        match self.service(request.uri().path()) {
            Some(call) => call(request),
            // What tonic's route table answers for a path it does not know.
            None => Box::pin(std::future::ready(Ok(tonic::Status::unimplemented("").into_http()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[derive(Clone)]
    struct Named;

    impl NamedService for Named {
        const NAME: &'static str = "paygate.test.Named";
    }

    impl Service<http::Request<Body>> for Named {
        type Response = http::Response<Body>;
        type Error = Infallible;
        type Future = CallFuture;

        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: http::Request<Body>) -> Self::Future {
            let method = request.uri().path().rsplit('/').next().unwrap_or_default().to_owned();
            Box::pin(async move {
                let mut response = http::Response::new(Body::empty());
                response.headers_mut().insert("x-method", method.parse().expect("header value"));
                Ok(response)
            })
        }
    }

    fn grpc_status(response: &http::Response<Body>) -> Option<&str> {
        response.headers().get("grpc-status").and_then(|value| value.to_str().ok())
    }

    async fn call(services: &InProcessServices, path: &str) -> http::Response<Body> {
        let request = http::Request::builder().uri(path).body(Body::empty()).expect("request");
        services.clone().oneshot(request).await.expect("infallible")
    }

    #[tokio::test]
    async fn a_call_reaches_the_service_its_path_names_and_other_paths_are_unimplemented() {
        let mut set = ServiceSet::default();
        set.add(Named);
        let (_, services) = set.build();

        let answered = call(&services, "/paygate.test.Named/Echo").await;
        assert_eq!(answered.headers().get("x-method").map(|v| v.as_bytes()), Some(&b"Echo"[..]));
        assert_eq!(grpc_status(&answered), None);

        for path in ["/paygate.test.Other/Echo", "/paygate.test.Named/", "/paygate.test.Named", "/", "Echo"] {
            let refused = call(&services, path).await;
            assert_eq!(grpc_status(&refused), Some("12"), "{path}: UNIMPLEMENTED");
            assert!(refused.headers().get("x-method").is_none(), "{path}");
        }
    }
}
