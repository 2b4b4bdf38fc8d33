# Multi-stage build: a static listwash binary in a minimal, non-root image.
#   docker build -t listwash .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/data:/data" listwash wash --in /data/in.csv --registers /data/registers --out /data/out
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/listwash ./cmd/listwash

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/listwash /usr/local/bin/listwash
USER nonroot:nonroot
WORKDIR /data
ENTRYPOINT ["/usr/local/bin/listwash"]
CMD ["--help"]
