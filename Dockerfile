# syntax=docker/dockerfile:1
# scaletrace as a container image, for the sharded runs of
# examples/sharded/ (Kubernetes Indexed Job, AWS Batch array job).
#
#   docker build -t scaletrace:0.1.0 .
#   docker run --rm scaletrace:0.1.0 run        # the demo, on the simulated endpoint
#
# Two stages: the build stage has the toolchain Cargo.toml pins
# (rust-version) and builds with --locked, so the image runs exactly the
# dependencies of Cargo.lock; the runtime stage is a slim Debian with only
# the CA certificates (rustls verifies AWS endpoints against them) and the
# binary, run as a non-root user.

FROM rust:1.90-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# include_str! may read the example profiles.
COPY profiles ./profiles
# The registry and target/ live in cache mounts, so rebuilding after a
# source change does not compile every dependency again; the binary is
# copied out of the mount in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin scaletrace \
    && cp target/release/scaletrace /usr/local/bin/scaletrace

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home --home-dir /home/scaletrace scaletrace
COPY --from=build /usr/local/bin/scaletrace /usr/local/bin/scaletrace
# The example profiles, so `run` with no profile (the demo) works; runs
# are written under reports/ here unless --run-dir says otherwise (the
# manifests mount a volume at /runs).
WORKDIR /home/scaletrace
COPY --chown=scaletrace:scaletrace profiles ./profiles
USER 10001:10001
ENTRYPOINT ["scaletrace"]
CMD ["--help"]
