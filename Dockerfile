# Roster in a container: a static binary (the SQLite driver is pure Go) on
# distroless, run as a user without privileges, its data in a volume.
# From the repository root (README.md, "Deployment"):
#
#   docker build --build-arg VERSION="$(git describe --tags --always)" \
#     --build-arg COMMIT="$(git rev-parse HEAD)" -t roster .

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
# The modules first, in a layer of their own: a change of code alone does
# not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The image has no .git (.dockerignore): the version and commit come from
# the build arguments, as for any build from an archive.
ARG VERSION=""
ARG COMMIT=""
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.releaseVersion=${VERSION} -X main.releaseCommit=${COMMIT}" \
      -o /out/roster ./cmd/roster \
 && mkdir /out/data

# static-debian12: CA certificates (for SMTP, S3 and OpenID Connect over
# TLS), time zones and /etc/passwd, and nothing else: no shell, no curl.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/roster /usr/local/bin/roster
# A named volume takes the owner of the directory it is mounted on: the
# nonroot user (65532) of the image.
COPY --from=build --chown=65532:65532 /out/data /var/lib/roster
USER 65532:65532
# Every setting is a variable (roster config lists them): serve listens on
# every interface of the container.
ENV ROSTER_ADDR=:8080 \
    ROSTER_DATA_DIR=/var/lib/roster
VOLUME ["/var/lib/roster"]
EXPOSE 8080
# The image has no curl: roster asks /healthz at ROSTER_ADDR itself.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/roster", "healthcheck"]
# serve stops on SIGTERM (docker stop) within ROSTER_SHUTDOWN_GRACE (30s):
# give it docker stop --time 45.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/roster"]
CMD ["serve"]
