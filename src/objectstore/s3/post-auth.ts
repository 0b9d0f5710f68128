import { createHmac } from 'node:crypto';
import { ObjectStoreError } from '../errors.js';
import { cachedSigningKey, same } from './auth.js';
import type { CredentialStore } from './credentials.js';
import { ALGORITHM, parseCredential } from './sigv4.js';
import { hmac } from './sigv4-signer.js';

/**
 * Who signed a POST Object form: the policy's signature is Signature V4 (`x-amz-algorithm`,
 * `x-amz-credential`, `x-amz-date`, `x-amz-signature`: the hex HMAC of the base64 policy with the
 * scope's signing key) or, where old clients still send it, V2 (`AWSAccessKeyId` and
 * `signature`: the base64 HMAC-SHA1 of the policy with the secret). A form with neither a policy
 * nor a signature is anonymous.
 */

function missing(field: string): ObjectStoreError {
  return new ObjectStoreError(
    'InvalidArgument',
    `Bucket POST must contain a field named '${field}'.  If it is specified, please check the order of the fields.`,
    { ArgumentName: field, ArgumentValue: '' },
  );
}

function mismatch(accessKeyId: string): ObjectStoreError {
  return new ObjectStoreError(
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    { AWSAccessKeyId: accessKeyId },
  );
}

/**
 * The user who signed the form's policy, or undefined for an anonymous form (no policy, no
 * signature). InvalidArgument names a missing field, InvalidAccessKeyId an unknown key and
 * SignatureDoesNotMatch a wrong signature.
 */
export async function authenticateForm(
  fields: ReadonlyMap<string, string>,
  credentials: CredentialStore,
): Promise<string | undefined> {
  const policy = fields.get('policy');
  const v2 = fields.has('awsaccesskeyid') || fields.has('signature');
  const v4 = fields.has('x-amz-signature') || fields.has('x-amz-credential') || fields.has('x-amz-algorithm');
  if (policy === undefined) {
    if (v2 || v4) throw missing('policy');
    return undefined;
  }
  const need = (field: string): string => {
    const v = fields.get(field);
    if (v === undefined) throw missing(field);
    return v;
  };
  if (v2 && !v4) {
    const accessKeyId = need('awsaccesskeyid');
    const signature = need('signature');
    const found = await lookup(credentials, accessKeyId);
    const expected = createHmac('sha1', found.secretAccessKey).update(policy).digest();
    if (!same(expected, signature, 'base64')) throw mismatch(accessKeyId);
    return found.user;
  }
  const algorithm = need('x-amz-algorithm');
  if (algorithm !== ALGORITHM)
    throw new ObjectStoreError('InvalidArgument', `x-amz-algorithm only supports "${ALGORITHM}"`, {
      ArgumentName: 'x-amz-algorithm',
      ArgumentValue: algorithm,
    });
  const credentialText = need('x-amz-credential');
  const credential = parseCredential(credentialText);
  if (credential === undefined || credential.service !== 's3')
    throw new ObjectStoreError(
      'InvalidArgument',
      `x-amz-credential must be KEY/DATE/REGION/s3/aws4_request, not ${JSON.stringify(credentialText.slice(0, 120))}`,
      { ArgumentName: 'x-amz-credential', ArgumentValue: credentialText },
    );
  const date = need('x-amz-date');
  if (date.slice(0, 8) !== credential.date)
    throw new ObjectStoreError(
      'InvalidArgument',
      `The credential date ${credential.date} does not match x-amz-date ${JSON.stringify(date.slice(0, 20))}`,
      { ArgumentName: 'x-amz-date', ArgumentValue: date },
    );
  const signature = need('x-amz-signature');
  const found = await lookup(credentials, credential.accessKeyId);
  const expected = hmac(cachedSigningKey(found.secretAccessKey, credential), policy);
  if (!same(expected, signature)) throw mismatch(credential.accessKeyId);
  return found.user;
}

async function lookup(
  credentials: CredentialStore,
  accessKeyId: string,
): Promise<{ user: string; secretAccessKey: string }> {
  const found = await credentials.lookup(accessKeyId);
  if (found === undefined)
    throw new ObjectStoreError(
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
      { AWSAccessKeyId: accessKeyId },
    );
  return found;
}
