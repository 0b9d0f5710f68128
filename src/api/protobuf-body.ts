import type { KubeObject } from '../common/kube-object.js';
import { badRequest, unsupportedMediaType } from './errors.js';
import { PROTO_KINDS, type ProtoMessage, type ProtoType } from './protobuf-kinds.js';

/**
 * Reads the Kubernetes protobuf encoding (`application/vnd.kubernetes.protobuf`) that kubectl's
 * typed commands (`create namespace|configmap|secret|deployment|job|cronjob|role|rolebinding|
 * service|ingress`, `run`, `expose`, `auth whoami|can-i`)
 * send, into JSON: the `k8s\0` envelope, a runtime.Unknown with the type and the raw message,
 * decoded with the field table of `protobuf-kinds.ts`. kubectl 1.32 does not retry in JSON on
 * 415, so these need reading; other kinds get 415 naming the kind. Pure.
 */
export function decodeProtobufObject(body: Uint8Array): KubeObject {
  if (body.length < 4 || body[0] !== 0x6b || body[1] !== 0x38 || body[2] !== 0x73 || body[3] !== 0) {
    throw badRequest('the protobuf body does not start with the Kubernetes magic number');
  }
  const unknown = fields(body.subarray(4));
  const typeMeta = fields(bytesOf(unknown, 1) ?? new Uint8Array());
  const apiVersion = textOf(bytesOf(typeMeta, 1));
  const kind = textOf(bytesOf(typeMeta, 2));
  const message = PROTO_KINDS[`${apiVersion}/${kind}`];
  if (message === undefined) {
    throw unsupportedMediaType(`application/vnd.kubernetes.protobuf (${kind || 'unknown kind'})`);
  }
  const object = decodeMessage(bytesOf(unknown, 2) ?? new Uint8Array(), message);
  return { apiVersion, kind, metadata: {}, ...object };
}

interface Field {
  n: number;
  varint?: number;
  bytes?: Uint8Array;
}

function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (let k = 0; k < 10; k++) {
      if (i >= buf.length) throw badRequest('truncated protobuf body');
      const b = buf[i++] ?? 0;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result >= 2 ** 63 ? result - 2 ** 64 : result;
      mul *= 128;
    }
    throw badRequest('malformed protobuf varint');
  };
  while (i < buf.length) {
    const key = varint();
    const n = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) out.push({ n, varint: varint() });
    else if (wire === 2) {
      const len = varint();
      if (len < 0 || i + len > buf.length) throw badRequest('truncated protobuf body');
      out.push({ n, bytes: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw badRequest(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

const decoder = new TextDecoder();
const textOf = (b: Uint8Array | undefined): string => (b === undefined ? '' : decoder.decode(b));
const bytesOf = (fs: Field[], n: number): Uint8Array | undefined => fs.find((x) => x.n === n)?.bytes;

function scalar(field: Field, type: ProtoType): unknown {
  if (typeof type === 'object') return decodeMessage(field.bytes ?? new Uint8Array(), type.message);
  switch (type) {
    case 'string':
      return textOf(field.bytes);
    case 'bytes':
      return Buffer.from(field.bytes ?? new Uint8Array()).toString('base64');
    case 'int':
      return field.varint ?? 0;
    case 'bool':
      return (field.varint ?? 0) !== 0;
    case 'quantity':
      return textOf(bytesOf(fields(field.bytes ?? new Uint8Array()), 1));
    case 'int-or-string': {
      const ios = fields(field.bytes ?? new Uint8Array());
      const isString = ios.find((x) => x.n === 1)?.varint === 1;
      return isString ? textOf(bytesOf(ios, 3)) : (ios.find((x) => x.n === 2)?.varint ?? 0);
    }
  }
}

function decodeMessage(buf: Uint8Array, message: ProtoMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields(buf)) {
    const spec = message[field.n];
    if (spec === undefined) continue;
    if (spec.map) {
      const entry = fields(field.bytes ?? new Uint8Array());
      const key = textOf(bytesOf(entry, 1));
      const valueField = entry.find((x) => x.n === 2) ?? { n: 2, bytes: new Uint8Array() };
      const map = (out[spec.name] ??= {}) as Record<string, unknown>;
      map[key] = scalar(valueField, spec.type);
    } else if (spec.repeated) {
      ((out[spec.name] ??= []) as unknown[]).push(scalar(field, spec.type));
    } else {
      const value = scalar(field, spec.type);
      if (spec.name === '') Object.assign(out, value);
      else if (value === '' || value === false || (value === 0 && !spec.keepZero)) continue;
      else out[spec.name] = value;
    }
  }
  return out;
}
