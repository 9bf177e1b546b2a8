# One image, every service: `paygate all|core|edge-admin|edge-main|pdf-worker`.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p paygate

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/paygate /usr/local/bin/paygate
ENV PAYGATE_DATA_DIR=/var/lib/paygate
VOLUME /var/lib/paygate
ENTRYPOINT ["paygate"]
CMD ["all"]
