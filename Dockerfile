# syntax=docker/dockerfile:1
# ndr-sensor appliance image: live capture on a mirror port, Prometheus metrics on :9465.
#   docker build -t ndr-sensor .
#   docker compose up -d          (docker-compose.yml: host network, CAP_NET_RAW)
# Every build step is a function of deploy/docker-build-steps.sh, so CI runs exactly these
# steps without a Docker engine: `deploy/docker-build-steps.sh ci`.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build stage: compilers, libpcap headers, dev dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /build
COPY deploy/docker-build-steps.sh deploy/
RUN deploy/docker-build-steps.sh build-system
COPY package.json package-lock.json ./
RUN deploy/docker-build-steps.sh deps
COPY . .
RUN deploy/docker-build-steps.sh build /build/out

# ---- runtime stage: Node + libpcap0.8 only, unprivileged user ----
FROM ${NODE_IMAGE} AS runtime
COPY deploy/docker-build-steps.sh /usr/local/lib/ndr-sensor-setup.sh
RUN /usr/local/lib/ndr-sensor-setup.sh runtime-system && rm /usr/local/lib/ndr-sensor-setup.sh
COPY --from=build /build/out /opt/ndr-sensor
WORKDIR /opt/ndr-sensor
ENV NODE_ENV=production \
    NDR_METRICS_PORT=9465
USER ndr
EXPOSE 9465
VOLUME ["/var/lib/ndr-sensor"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.NDR_METRICS_PORT||9465)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/opt/ndr-sensor/bin/ndr-sensor"]
CMD ["live", "--config", "/etc/ndr-sensor/config.yaml"]
