# Stratus: `make up` starts a one-machine cloud; `make test` is the one gate.
SHELL := /bin/bash
NODE_MODULES_STAMP := node_modules/.installed
# command:debian-package pairs the project and its tests use.
SYSTEM_DEPS := /usr/bin/aws:awscli rclone:rclone etcd:etcd-server runc:runc docker-registry:docker-registry \
	/usr/lib/python3/dist-packages/kubernetes/__init__.py:python3-kubernetes \
	/usr/sbin/haproxy:haproxy /usr/sbin/nginx:nginx wrk:wrk /usr/sbin/nft:nftables \
	/usr/bin/prometheus:prometheus setfattr:attr htpasswd:apache2-utils \
	/bin/busybox:busybox-static /usr/bin/tini-static:tini /usr/bin/podman:podman /usr/bin/chromium:chromium gcc:gcc
# What only the benchmarks' peers need (not the tests): Ceph RGW for `bench/s3-rgw.ts`.
BENCH_DEPS := radosgw:radosgw ceph:ceph-common ceph-mon:ceph-mon ceph-osd:ceph-osd

.PHONY: up test bench build lint typecheck deps system-deps bench-deps clean busybox-image

deps: $(NODE_MODULES_STAMP) system-deps

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

system-deps:
	@bash scripts/system-deps.sh $(SYSTEM_DEPS)

bench-deps:
	@bash scripts/system-deps.sh $(BENCH_DEPS)

# tsc builds dist/ for the tests; the bundle (dist/bundle/, split so that each command loads only
# its own code) is what bin/stratus runs: it loads in about a third of the time of the ~300
# modules it is made of.
build: $(NODE_MODULES_STAMP) dist/stratus-runc-shim
	npx tsc -p tsconfig.json
	npm run --silent bundle

# The runc runtime's per-container shim (see ARCHITECTURE.md); without gcc the runtime falls back
# to a resident `runc run`.
dist/stratus-runc-shim: src/runtime/runc/runc-shim.c
	@mkdir -p dist
	@if command -v gcc >/dev/null; then gcc -O2 -Wall -Wextra -o $@ $<; \
	else echo "gcc missing: the runc runtime keeps a resident runc run per container" >&2; fi

typecheck: build

# check-layers (imports between parts against ARCHITECTURE.md's layering table) is one file,
# transpiled by esbuild so that lint needs no tsc build.
lint: $(NODE_MODULES_STAMP)
	npx esbuild scripts/check-layers.ts --platform=node --format=esm --outfile=dist/check-layers.mjs --log-level=warning
	node dist/check-layers.mjs
	npx eslint .
	npx prettier --check .

# As root with runc and tini-static, pods that name no RuntimeClass run on runc, on the pod network
# (the examples name RuntimeClass process, since they run the host's Node.js without an image).
UP_RUNTIME = $(shell [ "$$(id -u)" = 0 ] && command -v runc >/dev/null && [ -x /usr/bin/tini-static ] && echo --default-runtime runc)

up: deps build busybox-image
	bin/stratus up $(UP_RUNTIME)

# A busybox image in ./.stratus/images, built offline from Debian's busybox-static, so that pods
# have an image to run without a registry (a fixed creation time keeps its digest stable).
busybox-image: build
	bash examples/images/busybox/prepare.sh dist/busybox-image
	SOURCE_DATE_EPOCH=0 bin/stratus image build dist/busybox-image -q -t busybox:1.35 -t busybox:latest

# The slow-connection tests hold thousands of sockets: raise the soft open-file limit to the hard one.
test: deps build lint
	ulimit -n $$(ulimit -Hn) 2>/dev/null; node scripts/run-tests.js $(TEST)

bench: deps build
	node dist/bench/run.js $(BENCH)

clean:
	rm -rf dist
