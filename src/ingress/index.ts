/**
 * The Ingress controller (ingress-nginx, Traefik): Ingresses of its IngressClasses routed by
 * host and path over HTTP and HTTPS (SNI certificates from `kubernetes.io/tls` Secrets) to
 * Services, balanced by the network part's data plane.
 */
export { IngressController, type IngressControllerOptions } from './ingress-controller.js';
export { INGRESS_CONNECTION_LIMITS } from './ingress-front.js';
export { DEFAULT_CLASS_ANNOTATION, INGRESS_CONTROLLER_NAME } from './ingress-class.js';
export { FORCE_SSL_REDIRECT_ANNOTATION, SSL_REDIRECT_ANNOTATION } from './route-table.js';
