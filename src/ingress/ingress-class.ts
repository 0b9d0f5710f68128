/**
 * Which Ingresses this controller serves, as Kubernetes decides it: an Ingress names its
 * IngressClass in `spec.ingressClassName` (or the deprecated `kubernetes.io/ingress.class`
 * annotation); an IngressClass belongs to the controller its `spec.controller` names; an Ingress
 * naming no class goes to the class annotated `ingressclass.kubernetes.io/is-default-class:
 * "true"`. Pure: no I/O.
 */
import type { Ingress, IngressClass } from 'kubernetes-types/networking/v1.js';

/** The controller name IngressClasses give to be served by Stratus. */
export const INGRESS_CONTROLLER_NAME = 'stratus.dev/ingress-controller';
/** The annotation that makes an IngressClass take Ingresses without a class. */
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
/** The deprecated annotation naming an Ingress's class. */
export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/** The class an Ingress names, if any. */
export function ingressClassOf(ingress: Ingress): string | undefined {
  return ingress.spec?.ingressClassName ?? ingress.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION];
}

/**
 * The Ingresses of `controller`'s classes, plus those without a class when one of its classes is
 * the default. Kubernetes' admission gives a class-less Ingress the default class at creation
 * only when there is exactly one; controllers still take class-less ones, so this does too.
 */
export function servedIngresses(
  classes: readonly IngressClass[],
  ingresses: readonly Ingress[],
  controller: string = INGRESS_CONTROLLER_NAME,
): Ingress[] {
  const ours = new Set<string>();
  let takesDefault = false;
  for (const c of classes) {
    if (c.spec?.controller !== controller || c.metadata?.name === undefined) continue;
    ours.add(c.metadata.name);
    if (c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true') takesDefault = true;
  }
  return ingresses.filter((ing) => {
    const name = ingressClassOf(ing);
    return name === undefined ? takesDefault : ours.has(name);
  });
}
