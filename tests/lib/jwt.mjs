// Signs test tokens with node's crypto: HS256, RS256 and ES256.
import { createHmac, sign } from 'node:crypto';

const b64url = (data) => Buffer.from(data).toString('base64url');

export function signJwt(claims, { alg = 'HS256', secret, privateKey } = {}) {
  const head = b64url(JSON.stringify({ alg, typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const input = `${head}.${body}`;
  let signature;
  if (alg === 'HS256') signature = createHmac('sha256', secret).update(input).digest();
  else if (alg === 'RS256') signature = sign('sha256', Buffer.from(input), privateKey);
  else if (alg === 'ES256') signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  else if (alg === 'none') return `${input}.`;
  return `${input}.${b64url(signature)}`;
}

export const now = () => Math.floor(Date.now() / 1000);
