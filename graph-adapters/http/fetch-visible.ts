/**
 * One `GET <base>/users/<id>/visible` call and the checks on its answer. The documented
 * response is `200 {"visible": ["bob", "carol"]}`; 404 means an unknown user (sees nobody).
 * Redirects are refused, not followed: the graph decides who sees whom, so it comes only from
 * the configured address. The body is read up to `maxBodyBytes`.
 */
import { GraphProviderError, InvalidInputError } from '../../src/errors.js';
import { isUserId } from '../shared/edge-change-json.js';
import { BodyTooLargeError, readCappedBody } from './read-capped-body.js';

export interface FetchVisibleOptions {
  baseUrl: string;
  timeoutMs: number;
  headers: Record<string, string>;
  maxBodyBytes: number;
}

/** The default cap on an answer's body: about 150,000 ids of 20 characters. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

export function visibleUrl(baseUrl: string, userId: string): string {
  // URL parsers resolve "." and ".." path segments, even percent-encoded: no safe spelling.
  if (userId === '.' || userId === '..') {
    throw new InvalidInputError(
      `HttpFriendsGraph: the user id "${userId}" cannot be put in a URL path`,
    );
  }
  return `${baseUrl.replace(/\/+$/, '')}/users/${encodeURIComponent(userId)}/visible`;
}

export async function fetchVisible(
  options: FetchVisibleOptions,
  userId: string,
): Promise<string[]> {
  const url = visibleUrl(options.baseUrl, userId);
  let body: unknown;
  try {
    const response = await fetch(url, {
      headers: { accept: 'application/json', ...options.headers },
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: 'manual',
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const location = response.headers.get('location') ?? 'nowhere';
      throw new GraphProviderError(
        'PRESENCE_GRAPH_UNAVAILABLE',
        `HttpFriendsGraph: GET ${url} answered ${response.status}, a redirect to ${location}; redirects are not followed: set baseUrl to the address that answers`,
      );
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return [];
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new GraphProviderError(
        'PRESENCE_GRAPH_UNAVAILABLE',
        `HttpFriendsGraph: GET ${url} answered ${response.status}`,
      );
    }
    const text = await readCappedBody(response, options.maxBodyBytes).catch((error: unknown) => {
      if (!(error instanceof BodyTooLargeError)) throw error;
      throw invalid(
        url,
        `the body is over ${error.maxBytes} bytes; answer fewer ids or raise maxBodyBytes`,
      );
    });
    try {
      body = JSON.parse(text);
    } catch {
      throw invalid(url, 'the body is not JSON');
    }
  } catch (error) {
    if (error instanceof GraphProviderError) throw error;
    if (isTimeout(error)) {
      throw new GraphProviderError(
        'PRESENCE_GRAPH_TIMEOUT',
        `HttpFriendsGraph: GET ${url} took longer than ${options.timeoutMs} ms`,
        { cause: error },
      );
    }
    throw new GraphProviderError(
      'PRESENCE_GRAPH_UNAVAILABLE',
      `HttpFriendsGraph: GET ${url} failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return readVisible(body, url, userId);
}

function readVisible(body: unknown, url: string, userId: string): string[] {
  const visible = (body as { visible?: unknown } | null)?.visible;
  if (!Array.isArray(visible)) throw invalid(url, 'expected {"visible": [<user id>, ...]}');
  if (!visible.every(isUserId)) throw invalid(url, '"visible" must hold non-empty string ids');
  // The app's backend may list someone twice or include the user: the port promises neither.
  return [...new Set(visible)].filter((id) => id !== userId);
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

function invalid(url: string, reason: string): GraphProviderError {
  return new GraphProviderError(
    'PRESENCE_GRAPH_INVALID_DATA',
    `HttpFriendsGraph: GET ${url}: ${reason}`,
  );
}
