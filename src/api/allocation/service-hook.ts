import type { Service, ServiceSpec } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../common/kube-object.js';
import { formatFieldValue, type FieldError } from '../../resources/index.js';
import type { HookFinish, RegistryHook } from '../registry-hooks.js';
import { internalError, invalid, type ApiError } from '../errors.js';
import { AllocationError, heldValues, type Holder, type ServiceAllocator } from './service-allocator.js';
import { initIPFamilies } from './ip-families.js';
import {
  dropTypeDependentFields,
  needsClusterIP,
  needsHealthCheckPort,
  needsNodePort,
  normalizeClusterIPs,
  patchAllocatedValues,
  shouldAllocateNodePorts,
} from './service-fields.js';

type Svc = Service & KubeObject;

/** What one write took (reverted on failure) and what it gives back (released once stored). */
class Transaction {
  private readonly taken: Array<{ ip?: string; port?: number }> = [];
  private readonly freed: Array<{ ip?: string; port?: number }> = [];
  constructor(
    private readonly allocator: ServiceAllocator,
    readonly holder: Holder,
  ) {}
  took(value: { ip?: string; port?: number }): void {
    this.taken.push(value);
  }
  frees(value: { ip?: string; port?: number }): void {
    this.freed.push(value);
  }
  commit(): void {
    for (const v of this.freed) this.release(v);
  }
  revert(): void {
    for (const v of this.taken) this.release(v);
  }
  private release(v: { ip?: string; port?: number }): void {
    if (v.ip !== undefined) this.allocator.releaseIP(v.ip, this.holder.uid);
    if (v.port !== undefined) this.allocator.releasePort(v.port, this.holder.uid);
  }
}

function refuse(svc: Svc, causes: FieldError[]): ApiError {
  return invalid('Service', svc.metadata.name ?? '', '', causes);
}

/**
 * The Service registry's hook (kube-apiserver's service REST storage): on create it
 * fills `clusterIPs`, IP families and node ports from the allocator; on update it first puts
 * back allocated values the client left out and clears what a type change made meaningless,
 * then allocates what the Service newly needs and, once stored, releases what it no longer
 * holds. Requested values are honoured or refused with Kubernetes' messages.
 */
export class ServiceHook implements RegistryHook {
  constructor(private readonly allocator: ServiceAllocator) {}

  async beginCreate(object: KubeObject, options: { dryRun: boolean }): Promise<HookFinish> {
    const svc = object as Svc;
    const spec = (svc.spec ??= {});
    object['status'] = { loadBalancer: {} };
    normalizeClusterIPs(spec, undefined);
    const familyErrors = initIPFamilies(svc, undefined);
    if (familyErrors.length > 0) throw refuse(svc, familyErrors);
    const txn = new Transaction(this.allocator, holderOf(svc));
    this.allocator.beginCreate(txn.holder.uid);
    try {
      if (needsClusterIP(spec) && spec.clusterIPs?.[0] !== 'None') await this.allocateClusterIP(svc, txn);
      await this.allocateNodePorts(svc, txn);
    } catch (err) {
      txn.revert();
      this.allocator.endCreate(txn.holder.uid);
      throw err;
    }
    return (stored) => {
      if (!stored || options.dryRun) txn.revert();
      this.allocator.endCreate(txn.holder.uid);
    };
  }

  async beginUpdate(object: KubeObject, old: KubeObject, options: { dryRun: boolean }): Promise<HookFinish> {
    const svc = object as Svc;
    const before = old as Svc;
    const spec = (svc.spec ??= {});
    patchAllocatedValues(spec, before.spec ?? {});
    normalizeClusterIPs(spec, before.spec ?? {});
    dropTypeDependentFields(svc, before);
    const familyErrors = initIPFamilies(svc, before);
    if (familyErrors.length > 0) throw refuse(svc, familyErrors);
    const txn = new Transaction(this.allocator, holderOf(before));
    try {
      // From ExternalName, or a Service stored before addresses were allocated: it gets one now.
      const hadNone = !needsClusterIP(before.spec ?? {}) || (before.spec?.clusterIPs ?? []).length === 0;
      if (hadNone && needsClusterIP(spec) && spec.clusterIPs?.[0] !== 'None') {
        await this.allocateClusterIP(svc, txn);
      }
      await this.allocateNodePorts(svc, txn);
    } catch (err) {
      txn.revert();
      throw err;
    }
    const now = heldValues(svc);
    const was = heldValues(before);
    for (const ip of was.ips) if (!now.ips.includes(ip)) txn.frees({ ip });
    for (const port of was.ports) if (!now.ports.includes(port)) txn.frees({ port });
    return (stored) => {
      if (stored && !options.dryRun) txn.commit();
      else txn.revert();
    };
  }

  private async allocateClusterIP(svc: Svc, txn: Transaction): Promise<void> {
    const spec = svc.spec as ServiceSpec;
    const requested = spec.clusterIPs?.[0];
    try {
      const ip = await this.allocator.allocateIP(requested || undefined, txn.holder);
      txn.took({ ip });
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
    } catch (err) {
      if (!(err instanceof AllocationError)) throw err;
      if (err.reason === 'full') throw internalError(`failed to allocate a serviceIP: ${err.message}`);
      const ips = spec.clusterIPs ?? [];
      throw refuse(svc, [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.clusterIPs',
          message: `Invalid value: ${formatFieldValue(ips)}: failed to allocate IP ${requested ?? ''}: ${err.message}`,
        },
      ]);
    }
  }

  /**
   * Node ports as Kubernetes' initNodePorts/updateNodePorts: a requested port is taken unless
   * this Service holds it already; ports of the same number share one node port; a LoadBalancer
   * with `allocateLoadBalancerNodePorts: false` gets only the ones it asks for. Then the
   * health-check node port of a LoadBalancer with `externalTrafficPolicy: Local`.
   */
  private async allocateNodePorts(svc: Svc, txn: Transaction): Promise<void> {
    const spec = svc.spec as ServiceSpec;
    const uid = txn.holder.uid;
    if (needsNodePort(spec)) {
      const byPort = new Map<number, number>();
      const ports = spec.ports ?? [];
      for (const [i, p] of ports.entries()) {
        if (!p.nodePort && !shouldAllocateNodePorts(spec)) continue;
        const shared = byPort.get(p.port);
        if (!p.nodePort && shared !== undefined) {
          p.nodePort = shared;
          continue;
        }
        try {
          if (!p.nodePort) {
            p.nodePort = await this.allocator.allocatePort(undefined, txn.holder);
            txn.took({ port: p.nodePort });
          } else if (!this.allocator.holdsPort(p.nodePort, uid)) {
            txn.took({ port: await this.allocator.allocatePort(p.nodePort, txn.holder) });
          }
        } catch (err) {
          if (!(err instanceof AllocationError)) throw err;
          if (err.reason === 'full') throw internalError(`failed to allocate a nodePort: ${err.message}`);
          throw refuse(svc, [
            {
              reason: 'FieldValueInvalid',
              field: `spec.ports[${i}].nodePort`,
              message: `Invalid value: ${p.nodePort ?? 0}: ${err.message}`,
            },
          ]);
        }
        byPort.set(p.port, p.nodePort);
      }
    }
    if (!needsHealthCheckPort(spec)) return;
    const requested = spec.healthCheckNodePort;
    if (requested && this.allocator.holdsPort(requested, uid)) return;
    try {
      spec.healthCheckNodePort = await this.allocator.allocatePort(requested || undefined, txn.holder);
      txn.took({ port: spec.healthCheckNodePort });
    } catch (err) {
      if (!(err instanceof AllocationError)) throw err;
      throw internalError(
        requested
          ? `failed to allocate requested HealthCheck NodePort ${requested}: ${err.message}`
          : `failed to allocate a HealthCheck NodePort 0: ${err.message}`,
      );
    }
  }
}

function holderOf(svc: Svc): Holder {
  return {
    namespace: svc.metadata.namespace ?? '',
    name: svc.metadata.name ?? '',
    uid: svc.metadata.uid ?? '',
  };
}
