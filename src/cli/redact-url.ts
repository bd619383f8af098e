/**
 * A URL for messages and logs: the password in its user part, and a Sentinel URL's
 * sentinelPassword parameter, replaced by `***`.
 */
export function redactUrl(text: string): string {
  return text
    .replace(/(\/\/[^/:@\s]*:)[^@/\s]*@/, '$1***@')
    .replace(/([?&]sentinelPassword=)[^&#\s]*/gi, '$1***');
}
