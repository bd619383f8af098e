/** Types of doc-verifier.mjs: the verifier of docs/webhooks.md, kept byte for byte. */
export function verifyPresenceWebhook(
  secret: string,
  header: string | undefined,
  rawBody: string,
  nowS?: number,
): boolean;
