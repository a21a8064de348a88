# plyr for production: serve, worker and migrate from one image. The embedded development
# stack (Temporal server, UI) is left out with -tags nodevstack.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -tags nodevstack -trimpath -ldflags="-s -w" -o /out/plyr ./cmd/plyr

FROM debian:bookworm-slim
# ffmpeg/ffprobe validate uploads in the worker; ca-certificates for R2 and PDS calls.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /nonexistent plyr
COPY --from=build /out/plyr /usr/local/bin/plyr
USER plyr
ENV PLYR_HTTP_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["plyr"]
CMD ["serve"]
