import type { KindDefinition } from '../define-kind.js';
import { column, nameColumn } from '../table.js';

/**
 * iam.stratus.dev/v1 NodeCredentialRequest: how an agent joins. Created with a bootstrap token
 * (or, to renew, with the node's own credential) and answered, never stored, with a node token
 * for `system:node:<spec.nodeName>` in `status.token` — Stratus' stand-in for the
 * CertificateSigningRequest a kubelet sends when it joins with a kubeadm bootstrap token.
 */
export const nodeCredentialRequestKind: KindDefinition = {
  group: 'iam.stratus.dev',
  version: 'v1',
  kind: 'NodeCredentialRequest',
  plural: 'nodecredentialrequests',
  namespaced: false,
  schemaRef: 'dev.stratus.iam.v1.NodeCredentialRequest',
  nameRule: 'none',
  verbs: ['create'],
  columns: [nameColumn, column('Node', 'string', 'The node the credential is for.')],
  cells: (object) => [
    object.metadata.name ?? '',
    (object.spec as { nodeName?: string } | undefined)?.nodeName ?? '',
  ],
};
