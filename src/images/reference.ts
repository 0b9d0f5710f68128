import { referenceInvalid } from './errors.js';

/** Docker Hub's canonical registry name, as `docker pull busybox` resolves it. */
export const DEFAULT_REGISTRY = 'docker.io';
/** The tag a reference without tag or digest gets. */
export const DEFAULT_TAG = 'latest';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:.]+\](?::[0-9]+)?$/;

/**
 * An image reference split as Docker's distribution/reference does, so that `busybox`,
 * `library/busybox` and `docker.io/library/busybox:latest` name one image in the store and the
 * registry client knows where to go.
 */
export interface ImageReference {
  /** `docker.io`, `localhost:5000`, `registry.example.com`. */
  registry: string;
  /** The path inside the registry: `library/busybox`, `team/app`. */
  repository: string;
  /** The tag, if any (`latest` is filled in when neither tag nor digest was given). */
  tag?: string;
  /** The manifest digest, `sha256:…`, if the reference pins one. */
  digest?: string;
}

/**
 * Parses and normalizes a reference as `docker pull` would: the registry defaults to docker.io
 * (the first path element is a registry only if it has a dot or a port, or is `localhost`),
 * single-element Docker Hub names get `library/`, and the tag defaults to `latest` unless a
 * digest is given. Throws IMAGE_REFERENCE_INVALID naming what is wrong.
 */
export function parseReference(text: string): ImageReference {
  if (text === '' || text.length > 255 + 140) throw referenceInvalid(text, 'empty or too long');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw referenceInvalid(text, `"${digest}" is not a sha256 digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw referenceInvalid(text, `"${tag}" is not a valid tag`);
  }
  let registry = DEFAULT_REGISTRY;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      if (!DOMAIN.test(first)) throw referenceInvalid(text, `"${first}" is not a registry host`);
      registry = first === 'index.docker.io' ? DEFAULT_REGISTRY : first;
      rest = rest.slice(slash + 1);
    }
  }
  if (registry === DEFAULT_REGISTRY && !rest.includes('/')) rest = `library/${rest}`;
  for (const component of rest.split('/')) {
    if (!COMPONENT.test(component)) {
      throw referenceInvalid(
        text,
        `"${component}" must be lowercase letters, digits and separators (. _ __ -) between them`,
      );
    }
  }
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return { registry, repository: rest, ...(tag === undefined ? {} : { tag }), ...(digest ? { digest } : {}) };
}

/** The full normalized form: `docker.io/library/busybox:latest`, `host:5000/a/b@sha256:…`. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** `normalizeReference('busybox')` → `docker.io/library/busybox:latest`. */
export function normalizeReference(text: string): string {
  return formatReference(parseReference(text));
}

/** The name without tag or digest: `docker.io/library/busybox`. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/**
 * The short form `docker images` shows: Docker Hub's `library/` and `docker.io/` dropped
 * (`busybox:latest`, `team/app:1`), other registries kept.
 */
export function familiarName(ref: ImageReference): string {
  if (ref.registry !== DEFAULT_REGISTRY) return `${ref.registry}/${ref.repository}`;
  return ref.repository.startsWith('library/') ? ref.repository.slice('library/'.length) : ref.repository;
}

/** True when a string is a `sha256:` digest (or its 64 hex digits alone). */
export function isDigest(text: string): boolean {
  return DIGEST.test(text) || /^[a-f0-9]{64}$/.test(text);
}

/**
 * The pull policy Kubernetes defaults to: Always for `:latest` or no tag (unless pinned by
 * digest), else IfNotPresent.
 */
export function defaultPullPolicy(text: string): 'Always' | 'IfNotPresent' {
  const ref = parseReference(text);
  if (ref.digest !== undefined) return 'IfNotPresent';
  return ref.tag === DEFAULT_TAG ? 'Always' : 'IfNotPresent';
}
