/**
 * Frames over the server's `maxHttpBufferSize`. engine.io does not read them: over WebSocket the
 * connection is closed with close code 1009 (Message Too Big), which socket.io-client reports in
 * its `disconnect` details (the SDK turns it into an error `frame_too_large`); over HTTP long
 * polling the request is answered 413. The server sees only the closed WebSocket: this tells
 * that close apart from other transport errors, to count and log it.
 */

/** True when an engine connection closed because its client sent a frame over the limit. */
export function closedForOversizeFrame(reason: string, description: unknown): boolean {
  if (reason !== 'transport error') return false;
  const message = description instanceof Error ? description.message : String(description);
  // ws's error (code WS_ERR_UNSUPPORTED_MESSAGE_LENGTH); engine.io keeps only its text.
  return message.includes('Max payload size exceeded');
}
